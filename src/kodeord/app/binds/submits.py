"""A customer's submit_sm / data_sm taken into MT, answered once the message is stored.

Rules:
- They take the path of `POST /v1/messages` (`Outbound.accept`, origin
  `smpp:<system_id>`), so the same checks refuse the same things; each refusal code maps
  to one SMPP status (`REFUSALS`), any other to ESME_RSUBMITFAIL. The submit_sm_resp is
  sent after the message is stored and carries our message id. A receipt is wanted when
  registered_delivery asks for one (5.2.17).
- A UDH that does not fit its message (UDHI set with a UDHL or element past the end) is
  refused first (ESME_RINVMSGLEN / ESME_RINVESMCLASS, smpp.message.body_status). 8-bit
  data is not a text we can send on: ESME_RSUBMITFAIL.
- Times: schedule_delivery_time and validity_period, absolute or relative (7.1.1),
  become send_at and the validity in whole minutes (rounded up); unreadable ones are
  ESME_RINVSCHED / ESME_RINVEXPIRY.
- Long messages: message_payload is taken whole. UDH or sar_* parts are held in memory
  per (system_id, source, destination, reference) until the last one comes (for at most
  `PART_TIMEOUT`); each held part is acknowledged at once with a provisional id, and the
  part that completes the message gets the result of storing the whole (our id, or the
  refusal). Held parts are not durable: a restart loses them, like an SMSC that loses
  its reassembly buffer; the customer sees no DLR for such a message.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from itertools import count
from typing import Protocol

import structlog

from kodeord.app.binds.connections import BoundConnections
from kodeord.app.binds.ports import CustomerConnection
from kodeord.app.errors import Invalid
from kodeord.app.mt.accept import Accepted, MtRequest
from kodeord.app.mt.ports import Origin, smpp_origin
from kodeord.app.ports import Clock
from kodeord.smpp.concat import Reassembler
from kodeord.smpp.constants import CommandStatus, Ton
from kodeord.smpp.message import body_status, decode_parts, encoding_of, read_body
from kodeord.smpp.pdu import DataSm, Pdu, SubmitSm
from kodeord.smpp.submit import parse_time
from kodeord.smpp.text import Encoding

log = structlog.get_logger(__name__)
S = CommandStatus
PART_TIMEOUT = 120.0  # seconds a long message's parts are held for its missing ones
WANTS_RECEIPT = 0x03  # registered_delivery's receipt bits (5.2.17)

REFUSALS: dict[str, int] = {
    "unknown_sender": S.ESME_RINVSRCADR,
    "sender_not_allowed": S.ESME_RINVSRCADR,
    "invalid_recipient": S.ESME_RINVDSTADR,
    "empty_text": S.ESME_RINVMSGLEN,
    "text_too_long": S.ESME_RINVMSGLEN,
    "recipient_opted_out": S.ESME_RX_P_APPN,
    "send_at_in_past": S.ESME_RINVSCHED,
    "send_at_too_far": S.ESME_RINVSCHED,
    "invalid_send_at": S.ESME_RINVSCHED,
    "invalid_validity": S.ESME_RINVEXPIRY,
}
"""Outbound.accept's refusal codes as SMPP statuses; any other code: ESME_RSUBMITFAIL."""


class MtIntake(Protocol):
    """MT's `accept` (app/mt/outbound.py)."""

    async def accept(
        self,
        customer_id: int,
        requests: Sequence[MtRequest],
        *,
        origin: str = Origin.API,
        wants_receipt: bool = True,
    ) -> list[Accepted]: ...


class Submits:
    def __init__(self, outbound: MtIntake, binds: BoundConnections, clock: Clock) -> None:
        self.outbound = outbound
        self.binds = binds
        self.clock = clock
        self._parts = Reassembler(timeout=PART_TIMEOUT, max_groups=10_000)
        self._held_ids = count(1)

    async def on_request(self, conn: CustomerConnection, pdu: Pdu) -> None:
        """The server's request handler: every request after the bind."""
        if not isinstance(pdu, SubmitSm | DataSm):
            await conn.respond(pdu, S.ESME_RINVCMDID)
            return
        customer_id = self.binds.customer_of(conn)
        if customer_id is None:  # closed while the request was on its way
            await conn.respond(pdu, S.ESME_RSYSERR)
            return
        refusal = body_status(pdu)
        if refusal is not None:
            log.info("smpp submit refused", system_id=conn.system_id, status=refusal.name)
            await conn.respond(pdu, refusal)
            return
        payloads = self._whole(conn, pdu)
        if payloads is None:  # held until its other parts come
            await conn.respond(pdu, S.ESME_ROK, message_id=f"part-{next(self._held_ids)}")
            return
        status, message_id = await self._accept(conn, customer_id, pdu, payloads)
        await conn.respond(pdu, status, message_id=message_id)

    def _whole(self, conn: CustomerConnection, pdu: SubmitSm | DataSm) -> Sequence[bytes] | None:
        """The payloads of the whole message, or None while parts of it are missing."""
        body = read_body(pdu)
        if body.concat is None:
            return [body.payload]
        now = time.monotonic()
        for group in self._parts.expire(now):
            log.warning("smpp parts dropped", key=group.key, got=len(group.parts))
        key = (conn.system_id, pdu.source_addr, pdu.destination_addr)
        concat = body.concat
        return self._parts.add(key, concat.ref, concat.total, concat.seq, body.payload, now)

    async def _accept(
        self,
        conn: CustomerConnection,
        customer_id: int,
        pdu: SubmitSm | DataSm,
        payloads: Sequence[bytes],
    ) -> tuple[int, str]:
        """Store the message: (ESME_ROK, our id) or (the refusal's status, "")."""
        request = self._request(pdu, payloads)
        if not isinstance(request, MtRequest):
            return request, ""
        try:
            (accepted,) = await self.outbound.accept(
                customer_id,
                [request],
                origin=smpp_origin(conn.system_id),
                wants_receipt=bool(pdu.registered_delivery & WANTS_RECEIPT),
            )
        except Invalid as exc:
            log.info("smpp submit refused", system_id=conn.system_id, code=exc.code)
            return REFUSALS.get(exc.code, S.ESME_RSUBMITFAIL), ""
        except Exception:
            log.exception("smpp submit not stored", system_id=conn.system_id)
            return S.ESME_RSYSERR, ""
        return S.ESME_ROK, str(accepted.id)

    def _request(self, pdu: SubmitSm | DataSm, payloads: Sequence[bytes]) -> MtRequest | int:
        """The MT the PDU asks for, or the status that refuses it before MT sees it."""
        if encoding_of(pdu.data_coding) is Encoding.BINARY:
            return S.ESME_RSUBMITFAIL
        send_at, validity, refusal = None, None, None
        if isinstance(pdu, SubmitSm):
            send_at, validity, refusal = schedule(pdu, self.clock())
        if refusal is not None:
            return refusal
        to = pdu.destination_addr
        if pdu.dest_addr_ton == Ton.INTERNATIONAL and not to.startswith("+"):
            to = "+" + to
        return MtRequest(
            sender=pdu.source_addr,
            to=to,
            text=decode_parts(payloads, pdu.data_coding),
            send_at=send_at,
            validity_minutes=validity,
        )


def schedule(pdu: SubmitSm, now: datetime) -> tuple[datetime | None, int | None, int | None]:
    """(send_at, validity minutes, refusal status) from a submit_sm's times."""
    try:
        send_at = parse_time(pdu.schedule_delivery_time, now)
    except ValueError:
        return None, None, S.ESME_RINVSCHED
    try:
        expires = parse_time(pdu.validity_period, now)
    except ValueError:
        return None, None, S.ESME_RINVEXPIRY
    validity = None
    if expires is not None:
        seconds = (expires - max(now, send_at or now)).total_seconds()
        validity = max(0, int(-(-seconds // 60)))  # whole minutes, rounded up
    return send_at, validity, None
