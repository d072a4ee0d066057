"""The operator simulator: a real SMPP 3.4 SMSC on loopback with virtual phones.

It behaves like a mobile operator's SMSC towards the gateway (or any ESME, Kannel
included):

- accepts binds for one configured account (wrong password → ESME_RINVPASWD);
- answers each submit_sm / data_sm / submit_multi after `submit_delay` seconds with a
  message id (decimal by default, hex when asked — real SMSCs do both), and files the
  message in the recipient phone's inbox (long messages reassembled);
- above `throttle_rate` submits per second answers ESME_RTHROTTLED and keeps nothing;
- sends a delivery receipt `receipt_delay` seconds after the submit_sm_resp, when
  registered_delivery asks for one: DELIVRD for a `delivered_share` of messages, else
  UNDELIV with an error code; both the text form and the TLVs;
- injects MO: `send_mo(sender, to, text)` sends deliver_sm (one per part, UDH for long
  texts) to a bound receiver/transceiver, re-sending until it is acknowledged with
  ESME_ROK, as operators do. MO and receipts wait while no receiver is bound.
- refuses what it could not answer: a submit asking for a receipt whose addresses do not
  fit a deliver_sm (data_sm allows 64 characters, deliver_sm 20) gets ESME_RINVSRCADR /
  ESME_RINVDSTADR and is not kept. A delivery worker never dies of one message: one
  that fails for any other reason is logged and dropped (an MO is marked `failed`).

Randomness (which receipts fail) comes from a seeded `random.Random`.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from kodeord.adapters.simulator.phones import PhoneBook, phone_key
from kodeord.adapters.smpp_io.connection import ConnectionClosed, RequestFailed, SmppConnection
from kodeord.adapters.smpp_io.server import BindRequest, SmscServer
from kodeord.smpp.codec import encode
from kodeord.smpp.constants import CommandStatus, MessageState
from kodeord.smpp.errors import LocalProtocolError
from kodeord.smpp.message import compose, read_body
from kodeord.smpp.pdu import (
    CancelSm,
    DataSm,
    DeliverSm,
    Pdu,
    QuerySm,
    ReplaceSm,
    SubmitMulti,
    SubmitSm,
)
from kodeord.smpp.receipt import Receipt, build_receipt_text, build_receipt_tlvs
from kodeord.smpp.session import SessionConfig
from kodeord.smpp.tlv import tlvs_from_raw

log = structlog.get_logger(__name__)
S = CommandStatus
UNDELIVERED_ERROR = 0x0B  # "absent subscriber"-like code carried in err: and the TLV


@dataclass(slots=True)
class SimulatorSettings:
    system_id: str = "kodeord"
    password: str = "kodeord"
    submit_delay: float = 0.0
    receipt_delay: float = 0.05
    delivered_share: float = 1.0
    throttle_rate: float | None = None
    hex_message_ids: bool = False
    mo_retry_delay: float = 1.0
    delivery_workers: int = 64
    seed: int | None = None
    # phone → command_status that submits to it are answered with (a number out of
    # service, a barred subscriber): to test how the ESME handles permanent errors
    refuse_recipients: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class MoRecord:
    id: str
    sender: str
    to: str
    text: str
    parts: int
    encoding: str
    status: str = "queued"  # → delivered (every part acknowledged), or failed (unsendable)
    attempts: int = 0
    acked_parts: int = 0
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.sender,
            "to": self.to,
            "text": self.text,
            "parts": self.parts,
            "encoding": self.encoding,
            "status": self.status,
            "attempts": self.attempts,
        }


@dataclass(slots=True)
class _Outgoing:
    pdu: DeliverSm
    mo: MoRecord | None = None


@dataclass(slots=True)
class _SentMessage:
    sender: str
    recipient: str
    submitted: datetime
    state: MessageState = MessageState.ENROUTE


class TokenBucket:
    """At most `rate` events per second on average, bursts of `rate / 10` (at least 1)."""

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate / 10)
        self.tokens = self.capacity
        self.updated = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class OperatorSimulator:
    settings: SimulatorSettings = field(default_factory=SimulatorSettings)
    host: str = "127.0.0.1"
    port: int = 2776
    phones: PhoneBook = field(default_factory=PhoneBook)
    stats: Counter[str] = field(default_factory=Counter)
    mo: dict[str, MoRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._random = random.Random(self.settings.seed)
        self._ids = itertools.count(self._random.randrange(10**8, 10**9))
        self._refs = itertools.count(self._random.randrange(256))
        self._sent: dict[str, _SentMessage] = {}
        self._outbox: asyncio.Queue[_Outgoing] = asyncio.Queue()
        self._receiver_bound = asyncio.Event()
        self._round_robin = itertools.count()
        self._tasks: set[asyncio.Task[None]] = set()
        self._bucket: TokenBucket | None = None
        self._server = SmscServer(
            self.host,
            self.port,
            authenticate=self._authenticate,
            on_request=self._on_request,
            system_id="simulator",
            name="operator simulator",
            on_bound=self._on_bound_change,
            on_closed=self._on_bound_change,
            # deliver_sm outstanding per bind: as many as there are delivery workers
            session_config=SessionConfig(window=self.settings.delivery_workers),
        )

    # --- life cycle -------------------------------------------------------------------

    async def start(self) -> tuple[str, int]:
        self.host, self.port = await self._server.start()
        for _ in range(self.settings.delivery_workers):
            self._spawn(self._deliver_forever())
        self._spawn(self._expire_forever())
        return self.host, self.port

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.stop()

    async def __aenter__(self) -> OperatorSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def configure(self, **changes: Any) -> None:
        """Change settings while running (the control API's PATCH /config)."""
        for name, value in changes.items():
            setattr(self.settings, name, value)
        if "throttle_rate" in changes:
            self._bucket = None

    # --- binds ------------------------------------------------------------------------

    async def _authenticate(self, bind: BindRequest) -> int:
        if bind.system_id != self.settings.system_id:
            return S.ESME_RINVSYSID
        if bind.password != self.settings.password:
            return S.ESME_RINVPASWD
        return S.ESME_ROK

    def _receivers(self) -> list[SmppConnection]:
        return self._server.bound(self.settings.system_id)

    def _on_bound_change(self, _conn: SmppConnection) -> None:
        if self._receivers():
            self._receiver_bound.set()
        else:
            self._receiver_bound.clear()

    # --- messages from the ESME ------------------------------------------------------

    async def _on_request(self, conn: SmppConnection, pdu: Pdu) -> None:
        if isinstance(pdu, SubmitSm | DataSm | SubmitMulti):
            await self._on_submit(conn, pdu)
        elif isinstance(pdu, QuerySm):
            await self._on_query(conn, pdu)
        elif isinstance(pdu, CancelSm):
            await conn.respond(pdu, S.ESME_RCANCELFAIL)  # messages are delivered at once
        elif isinstance(pdu, ReplaceSm):
            await conn.respond(pdu, S.ESME_RREPLACEFAIL)
        else:
            await conn.respond(pdu, S.ESME_RINVCMDID)

    def _throttled(self) -> bool:
        rate = self.settings.throttle_rate
        if rate is None:
            return False
        now = time.monotonic()
        if self._bucket is None:
            self._bucket = TokenBucket(rate, now)
        return not self._bucket.take(now)

    def _next_id(self) -> str:
        number = next(self._ids)
        return f"{number:x}" if self.settings.hex_message_ids else str(number)

    async def _on_submit(self, conn: SmppConnection, pdu: SubmitSm | DataSm | SubmitMulti) -> None:
        if self._throttled():
            self.stats["throttled"] += 1
            await conn.respond(pdu, S.ESME_RTHROTTLED)
            return
        if self.settings.submit_delay:
            await asyncio.sleep(self.settings.submit_delay)
        recipients = _recipients(pdu)
        refusal = self.settings.refuse_recipients.get(recipients[0]) if recipients else None
        if refusal is None and pdu.registered_delivery & 0x03:
            refusal = _receipt_refusal(pdu.source_addr, recipients[0])
        if refusal is not None:
            self.stats["refused"] += 1
            await conn.respond(pdu, refusal)
            return
        message_id = self._next_id()
        await conn.respond(pdu, S.ESME_ROK, message_id=message_id)
        self.stats["submitted"] += 1
        wall = datetime.now(UTC)
        body = read_body(pdu) if not isinstance(pdu, SubmitMulti) else _multi_body(pdu)
        for recipient in recipients:
            self.phones.receive(
                pdu.source_addr, recipient, body, message_id, time.monotonic(), wall
            )
        self._sent[message_id] = _SentMessage(pdu.source_addr, recipients[0], wall)
        if pdu.registered_delivery & 0x03:
            self._spawn(self._receipt_later(message_id, pdu.registered_delivery & 0x03))

    async def _on_query(self, conn: SmppConnection, pdu: QuerySm) -> None:
        sent = self._sent.get(pdu.message_id)
        if sent is None:
            await conn.respond(pdu, S.ESME_RQUERYFAIL)
            return
        await conn.respond(
            pdu, S.ESME_ROK, message_id=pdu.message_id, message_state=sent.state.value
        )

    async def _receipt_later(self, message_id: str, wanted: int) -> None:
        await asyncio.sleep(self.settings.receipt_delay)
        sent = self._sent[message_id]
        delivered = self._random.random() < self.settings.delivered_share
        sent.state = MessageState.DELIVERED if delivered else MessageState.UNDELIVERABLE
        if wanted == 2 and delivered:  # receipt on failure only (5.2.17)
            return
        receipt = Receipt(
            message_id=message_id,
            state=sent.state,
            submitted=1,
            delivered=int(delivered),
            submit_date=sent.submitted,
            done_date=datetime.now(UTC),
            error=0 if delivered else UNDELIVERED_ERROR,
            text="",
        )
        pdu = DeliverSm(
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr=sent.recipient,
            dest_addr_ton=0,
            dest_addr_npi=0,
            destination_addr=sent.sender,
            esm_class=0x04,
            short_message=build_receipt_text(receipt).encode("ascii"),
            tlvs=tlvs_from_raw(build_receipt_tlvs(receipt)),
        )
        self.stats["receipts_queued"] += 1
        self._outbox.put_nowait(_Outgoing(pdu))

    # --- messages to the ESME (MO and receipts) -------------------------------------

    def send_mo(self, sender: str, to: str, text: str) -> MoRecord:
        """Queue an SMS from phone `sender` to short number `to`; delivered in the background."""
        composed = compose(text, ref=next(self._refs))
        record = MoRecord(
            self._next_id(),
            phone_key(sender),
            to,
            text,
            len(composed.parts),
            composed.encoding.name,
        )
        self.mo[record.id] = record
        for part in composed.parts:
            pdu = DeliverSm(
                source_addr_ton=1,
                source_addr_npi=1,
                source_addr=record.sender,
                dest_addr_ton=0,
                dest_addr_npi=0,
                destination_addr=to,
                esm_class=part.esm_class_bits,
                data_coding=part.data_coding,
                short_message=part.short_message,
                tlvs=part.tlvs,
            )
            self._outbox.put_nowait(_Outgoing(pdu, record))
        self.stats["mo_queued"] += 1
        return record

    async def _deliver_forever(self) -> None:
        while True:
            item = await self._outbox.get()
            try:
                delivered = await self._deliver(item)
            except Exception:  # one bad message must not take the worker with it
                log.exception("deliver_sm cannot be sent, dropped", mo=item.mo and item.mo.id)
                self.stats["deliver_failed"] += 1
                if item.mo is not None:
                    item.mo.status = "failed"
                continue
            if not delivered:
                self._spawn(self._requeue_later(item))

    async def _requeue_later(self, item: _Outgoing) -> None:
        await asyncio.sleep(self.settings.mo_retry_delay)
        self._outbox.put_nowait(item)

    async def _deliver(self, item: _Outgoing) -> bool:
        await self._receiver_bound.wait()
        receivers = self._receivers()
        if not receivers:
            return False
        conn = receivers[next(self._round_robin) % len(receivers)]
        if item.mo is not None:
            item.mo.attempts += 1
        try:
            response = await conn.request(item.pdu)
        except (ConnectionClosed, RequestFailed) as exc:
            log.info("deliver_sm not answered, will re-send", error=repr(exc))
            return False
        if response.command_status != S.ESME_ROK:
            self.stats["deliver_refused"] += 1
            return False
        self._acknowledged(item)
        return True

    def _acknowledged(self, item: _Outgoing) -> None:
        if item.mo is None:
            self.stats["receipts_sent"] += 1
            return
        item.mo.acked_parts += 1
        if item.mo.acked_parts == item.mo.parts:
            item.mo.status = "delivered"
            self.stats["mo_delivered"] += 1

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.phones.expire(time.monotonic(), datetime.now(UTC))

    def queued(self) -> int:
        return self._outbox.qsize()


def _recipients(pdu: SubmitSm | DataSm | SubmitMulti) -> list[str]:
    if isinstance(pdu, SubmitMulti):
        addresses = [getattr(d, "destination_addr", "") for d in pdu.dest_addresses]
        return [a for a in addresses if a] or [""]
    return [pdu.destination_addr]


def _receipt_refusal(sender: str, recipient: str) -> int | None:
    """The status refusing a submit whose receipt could not be sent, else None: the
    receipt's deliver_sm goes from the recipient to the sender (20 characters each)."""
    try:
        encode(DeliverSm(source_addr=recipient))
    except LocalProtocolError:
        return S.ESME_RINVDSTADR
    try:
        encode(DeliverSm(destination_addr=sender))
    except LocalProtocolError:
        return S.ESME_RINVSRCADR
    return None


def _multi_body(pdu: SubmitMulti) -> Any:
    single = SubmitSm(
        esm_class=pdu.esm_class,
        data_coding=pdu.data_coding,
        short_message=pdu.short_message,
        tlvs=pdu.tlvs,
    )
    return read_body(single)
