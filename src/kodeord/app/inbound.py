"""Receive MO from an operator link: store it (and its routing job) BEFORE acknowledging.

`InboundReceiver.receive(link, deliver_sm)` is the operator link's request handler. It
returns the SMPP status to answer with, and returns only after the database committed:

- one part of a long message is kept in `mo_parts` (a part that came already is
  ignored); when the last part is in, the parts become one message;
- a whole message is written with its `route` job in ONE transaction (group commit on
  SQLite), so from the deliver_sm_resp on it cannot be lost. When an inline router is
  set (the gateway sets the pipeline's), the message is routed in that same
  transaction instead and only its delivery job is queued — one job less per MO; if
  routing fails there, the `route` job is queued as before;
- the same MO again (the operator re-sent it after losing our response) within
  `dedupe_window` is acknowledged without a second message: same sender, recipient,
  data_coding and payload. A phone that really sends the same text twice within the
  window is counted once — the price of recognising re-sends, which carry no id in
  SMPP 3.4. The window is a setting (default 10 minutes);
- a delivery receipt (esm_class receipt bits) is stored as a `receipt` job for the
  outbound side;
- when storing fails, the answer is ESME_RX_T_APPN (temporary): the operator re-sends.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import messages as repo
from kodeord.adapters.queue import JobQueue
from kodeord.app.context import Context
from kodeord.app.metrics import METRICS
from kodeord.domain.phones import to_e164
from kodeord.smpp.constants import CommandStatus, is_delivery_receipt
from kodeord.smpp.message import IncomingPart, decode_parts, encoding_of, read_body
from kodeord.smpp.pdu import DataSm, DeliverSm
from kodeord.smpp.tlv import raw_tlvs

log = structlog.get_logger(__name__)
S = CommandStatus
DEFAULT_DEDUPE_WINDOW = timedelta(minutes=10)


def phone_address(ton: int, address: str) -> str:
    """The sender as E.164 when it is a phone number; else as it came (alphanumeric)."""
    if ton == 1 and address.isdigit():
        return "+" + address
    return to_e164(address) or address


@dataclass(frozen=True, slots=True)
class WholeMessage:
    sender: str
    recipient: str
    text: str
    data_coding: int
    segments: int
    key: str


def dedupe_key(sender: str, recipient: str, data_coding: int, payload: bytes) -> str:
    digest = hashlib.sha256()
    for piece in (sender.encode(), recipient.encode(), str(data_coding).encode(), payload):
        digest.update(len(piece).to_bytes(4, "big"))
        digest.update(piece)
    return digest.hexdigest()


# Routes a just-stored message inside the storing transaction; False when it could not.
InlineRouter = Callable[[AsyncConnection, "StoredMessage", datetime], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    sender: str
    recipient: str
    text: str
    received_at: datetime


class InboundReceiver:
    def __init__(
        self, ctx: Context, queue: JobQueue, dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW
    ) -> None:
        self.ctx = ctx
        self.queue = queue
        self.dedupe_window = dedupe_window
        self.inline_router: InlineRouter | None = None

    async def receive(self, link: str, pdu: DeliverSm | DataSm) -> int:
        """Store, then tell the caller which status to answer the operator with."""
        try:
            if is_delivery_receipt(pdu.esm_class):
                await self.ctx.db.write(lambda conn: self._store_receipt(conn, link, pdu))
            else:
                await self.ctx.db.write(lambda conn: self._store(conn, link, pdu))
        except Exception:
            log.exception("could not store an MO; answering ESME_RX_T_APPN", link=link)
            METRICS.mo_store_failures.inc()
            return S.ESME_RX_T_APPN
        return S.ESME_ROK

    async def _store(self, conn: AsyncConnection, link: str, pdu: DeliverSm | DataSm) -> None:
        sender = phone_address(pdu.source_addr_ton, pdu.source_addr)
        recipient = pdu.destination_addr
        part = read_body(pdu)
        now = self.ctx.clock()
        if part.concat is not None and part.concat.total > 1:
            whole = await self._add_part(conn, link, sender, recipient, part, now)
        else:
            key = dedupe_key(sender, recipient, part.data_coding, part.payload)
            text = decode_parts([part.payload], part.data_coding)
            whole = WholeMessage(sender, recipient, text, part.data_coding, 1, key)
        if whole is not None:
            await self.store_message(conn, whole, link, now)

    async def _add_part(
        self,
        conn: AsyncConnection,
        link: str,
        sender: str,
        recipient: str,
        part: IncomingPart,
        now: datetime,
    ) -> WholeMessage | None:
        concat = part.concat
        assert concat is not None
        await repo.lock_part_group(conn, sender, recipient, concat.ref, concat.total)
        # A part re-sent after its message was assembled (its row is gone by then).
        place = f"{concat.ref}/{concat.total}/{concat.seq}".encode()
        part_key = dedupe_key(sender, recipient, part.data_coding, place + part.payload)
        if await repo.seen_since(conn, part_key, now - self.dedupe_window) is not None:
            METRICS.mo_duplicates.inc()
            return None
        await repo.remember_seen(conn, part_key, 0, now)
        values = {
            "sender": sender,
            "recipient": recipient,
            "ref": concat.ref,
            "total": concat.total,
            "seq": concat.seq,
            "data_coding": part.data_coding,
            "payload": part.payload,
            "link": link,
            "received_at": now,
        }
        if not await repo.add_part(conn, values):
            METRICS.mo_duplicates.inc()
            return None
        rows = await repo.take_parts(conn, sender, recipient, concat.ref, concat.total)
        if rows is None:
            return None
        return assemble(rows)

    async def store_message(
        self, conn: AsyncConnection, whole: WholeMessage, link: str | None, now: datetime
    ) -> int | None:
        if await repo.seen_since(conn, whole.key, now - self.dedupe_window) is not None:
            METRICS.mo_duplicates.inc()
            log.info("duplicate MO acknowledged again", sender=whole.sender, to=whole.recipient)
            return None
        message_id = await repo.insert_message(
            conn,
            {
                "direction": "inbound",
                "status": "received",
                "recipient": whole.recipient,
                "sender": whole.sender,
                "text": whole.text,
                "data_coding": whole.data_coding,
                "encoding": encoding_of(whole.data_coding).name,
                "segments": whole.segments,
                "link": link,
                "received_at": now,
            },
        )
        await repo.remember_seen(conn, whole.key, message_id, now)
        stored = StoredMessage(message_id, whole.sender, whole.recipient, whole.text, now)
        if self.inline_router is None or not await self.inline_router(conn, stored, now):
            await self.queue.enqueue(conn, "route", {"message_id": message_id})
        METRICS.mo_received.inc()
        return message_id

    async def _store_receipt(
        self, conn: AsyncConnection, link: str, pdu: DeliverSm | DataSm
    ) -> None:
        payload: dict[str, Any] = {
            "link": link,
            "short_message": pdu.short_message.hex() if isinstance(pdu, DeliverSm) else "",
            "tlvs": {str(tag): value.hex() for tag, value in raw_tlvs(pdu.tlvs).items()},
            "source_addr": pdu.source_addr,
            "destination_addr": pdu.destination_addr,
        }
        await self.queue.enqueue(conn, "receipt", payload)
        METRICS.receipts_received.inc()


def assemble(rows: list[Any]) -> WholeMessage:
    """One message from its parts (rows of mo_parts in sequence order)."""
    first = rows[0]
    payloads = [row.payload for row in rows]
    coding = first.data_coding
    joined = b"".join(payloads)
    key = dedupe_key(first.sender, first.recipient, coding, joined)
    text = decode_parts(payloads, coding)
    return WholeMessage(first.sender, first.recipient, text, coding, len(rows), key)
