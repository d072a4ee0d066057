"""Receive MO from an operator link: store it (and its routing job) BEFORE acknowledging.

`InboundReceiver.receive(link, deliver_sm)` is the operator link's request handler. It
returns the SMPP status to answer with, and returns only after the database committed:

- one part of a long message is kept in `mo_parts` (a part that came already is
  ignored); when the last part is in, the parts become one message;
- a whole message is routed first (the router reads cached facts and holds no lock),
  then written with its routing decision and its deliver job in ONE transaction (group
  commit on SQLite), so from the deliver_sm_resp on it cannot be lost. Messages that
  arrive together share that transaction and its statements (one insert each for
  messages, dedupe keys and jobs), and the deliver jobs this process has room for are
  inserted already leased to its worker, which starts them right after the commit (no
  claim). Without a router, or when routing fails, a `route` job is queued instead;
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import messages as repo
from kodeord.adapters.queue import JobQueue, NewJob
from kodeord.app.batching import Batcher
from kodeord.app.context import Context
from kodeord.app.metrics import METRICS
from kodeord.domain.phones import to_e164
from kodeord.domain.routing import IncomingMessage
from kodeord.smpp.constants import CommandStatus, is_delivery_receipt
from kodeord.smpp.message import IncomingPart, decode_parts, encoding_of, read_body
from kodeord.smpp.pdu import DataSm, DeliverSm
from kodeord.smpp.tlv import raw_tlvs

if TYPE_CHECKING:
    from kodeord.app.mo.delivery import Routed

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


def message_values(arrival: Arrival, now: datetime) -> dict[str, Any]:
    """The columns of a new inbound message row (before routing)."""
    whole = arrival.whole
    return {
        "direction": "inbound",
        "recipient": whole.recipient,
        "sender": whole.sender,
        "text": whole.text,
        "data_coding": whole.data_coding,
        "encoding": encoding_of(whole.data_coding).name,
        "segments": whole.segments,
        "link": arrival.link,
        "received_at": now,
    }


def dedupe_key(sender: str, recipient: str, data_coding: int, payload: bytes) -> str:
    digest = hashlib.sha256()
    for piece in (sender.encode(), recipient.encode(), str(data_coding).encode(), payload):
        digest.update(len(piece).to_bytes(4, "big"))
        digest.update(piece)
    return digest.hexdigest()


class InboundRouter(Protocol):
    """What the receiver asks of the pipeline (app/pipeline.py implements it)."""

    async def decide(
        self, messages: Sequence[IncomingMessage], now: datetime
    ) -> Sequence[Routed]: ...

    async def follow_up(
        self,
        conn: AsyncConnection,
        items: Sequence[tuple[int, Mapping[str, Any], Routed]],
        now: datetime,
        *,
        lease: bool = False,
    ) -> Sequence[Any]: ...

    def run_now(self, leased: Sequence[Any]) -> None: ...


@dataclass(frozen=True, slots=True)
class Arrival:
    whole: WholeMessage
    link: str | None


_UNROUTED = {
    "number": None,
    "customer_id": None,
    "keyword": None,
    "lease_id": None,
    "body": None,
    "route_step": None,
    "routed_at": None,
    "status": "received",
    "destination": None,
}


class InboundReceiver:
    def __init__(
        self, ctx: Context, queue: JobQueue, dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW
    ) -> None:
        self.ctx = ctx
        self.queue = queue
        self.dedupe_window = dedupe_window
        self.router: InboundRouter | None = None
        # Whole messages that arrive together are stored (and routed) together.
        self._intake: Batcher[Arrival, int] = Batcher(
            self._store_arrivals, concurrency=ctx.db.write_concurrency
        )
        self._receipts: Batcher[NewJob, None] = Batcher(
            self._store_receipts, concurrency=ctx.db.write_concurrency
        )

    async def receive(self, link: str, pdu: DeliverSm | DataSm) -> int:
        """Store, then tell the caller which status to answer the operator with."""
        try:
            if is_delivery_receipt(pdu.esm_class):
                await self._receipts.call(_receipt_job(link, pdu))
                METRICS.receipts_received.inc()
                return S.ESME_ROK
            sender = phone_address(pdu.source_addr_ton, pdu.source_addr)
            part = read_body(pdu)
            if part.concat is not None and part.concat.total > 1:
                await self.ctx.db.write(lambda conn: self._store_part(conn, link, sender, pdu))
                return S.ESME_ROK
            key = dedupe_key(sender, pdu.destination_addr, part.data_coding, part.payload)
            text = decode_parts([part.payload], part.data_coding)
            whole = WholeMessage(sender, pdu.destination_addr, text, part.data_coding, 1, key)
        except Exception:
            log.exception("could not store an MO; answering ESME_RX_T_APPN", link=link)
            METRICS.mo_store_failures.inc()
            return S.ESME_RX_T_APPN
        return await self._intake.call(Arrival(whole, link))

    async def _store_arrivals(self, arrivals: list[Arrival]) -> list[int]:
        """Store whole messages in one transaction: routed first (reads only, no lock
        held), then one insert for the messages, one for their dedupe keys and one for
        their deliver jobs; the jobs this process runs itself start after the commit.
        When the batch fails, each message is tried alone, so one bad message cannot
        refuse the others."""
        now = self.ctx.clock()
        routed = await self._decide([a.whole for a in arrivals], now)
        try:
            leased = await self.ctx.db.write(
                lambda conn: self._insert(conn, arrivals, routed, now, lease=True)
            )
        except Exception:
            if len(arrivals) > 1:
                statuses = []
                for arrival in arrivals:
                    statuses.extend(await self._store_arrivals([arrival]))
                return statuses
            log.exception("could not store an MO; answering ESME_RX_T_APPN", link=arrivals[0].link)
            METRICS.mo_store_failures.inc()
            return [S.ESME_RX_T_APPN]
        if self.router is not None:
            self.router.run_now(leased)
        return [S.ESME_ROK] * len(arrivals)

    async def _decide(
        self, wholes: Sequence[WholeMessage], now: datetime
    ) -> Sequence[Routed] | None:
        """The routing of whole messages, or None when it failed (route jobs instead)."""
        if self.router is None:
            return None
        try:
            return await self.router.decide(
                [IncomingMessage(w.recipient, w.sender, w.text, now) for w in wholes], now
            )
        except Exception:
            log.exception("routing failed; the messages get route jobs", messages=len(wholes))
            return None

    async def _insert(
        self,
        conn: AsyncConnection,
        arrivals: Sequence[Arrival],
        routed: Sequence[Routed] | None,
        now: datetime,
        *,
        lease: bool,
    ) -> Sequence[Any]:
        """Insert the messages not seen before; queue or lease what follows them (the
        router's leased jobs are returned, for `run_now` after the commit)."""
        since = now - self.dedupe_window
        seen = await repo.seen_keys(conn, [a.whole.key for a in arrivals], since)
        fresh: list[int] = []
        for index, arrival in enumerate(arrivals):
            key = arrival.whole.key
            if key in seen:
                METRICS.mo_duplicates.inc()
                log.info("duplicate MO acknowledged again", sender=arrival.whole.sender)
                continue
            seen.add(key)
            fresh.append(index)
        if not fresh:
            return []
        rows = []
        for index in fresh:
            decided = _UNROUTED if routed is None else routed[index].columns(now)
            rows.append(message_values(arrivals[index], now) | decided)
        ids = await repo.insert_messages(conn, rows)
        await repo.remember_seen_many(
            conn, [(arrivals[i].whole.key, id_) for i, id_ in zip(fresh, ids, strict=True)], now
        )
        METRICS.mo_received.inc(len(ids))
        if routed is None or self.router is None:
            route_jobs = [NewJob("route", {"message_id": id_}) for id_ in ids]
            await self.queue.enqueue_many(conn, route_jobs)
            return []
        items = [(id_, row, routed[i]) for i, id_, row in zip(fresh, ids, rows, strict=True)]
        return await self.router.follow_up(conn, items, now, lease=lease)

    async def store_message(
        self, conn: AsyncConnection, whole: WholeMessage, link: str | None, now: datetime
    ) -> None:
        """Store one whole message inside the caller's transaction (a long MO assembled
        there). Its deliver job is queued, not leased: the caller commits, not us."""
        routed = await self._decide([whole], now)
        await self._insert(conn, [Arrival(whole, link)], routed, now, lease=False)

    async def _store_part(
        self, conn: AsyncConnection, link: str, sender: str, pdu: DeliverSm | DataSm
    ) -> None:
        part = read_body(pdu)
        now = self.ctx.clock()
        whole = await self._add_part(conn, link, sender, pdu.destination_addr, part, now)
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

    async def _store_receipts(self, jobs: list[NewJob]) -> list[None]:
        """Receipts that arrive together become their `receipt` jobs in one write."""
        await self.ctx.db.write(lambda conn: self.queue.enqueue_many(conn, jobs))
        return [None] * len(jobs)


def _receipt_job(link: str, pdu: DeliverSm | DataSm) -> NewJob:
    payload: dict[str, Any] = {
        "link": link,
        "short_message": pdu.short_message.hex() if isinstance(pdu, DeliverSm) else "",
        "tlvs": {str(tag): value.hex() for tag, value in raw_tlvs(pdu.tlvs).items()},
        "source_addr": pdu.source_addr,
        "destination_addr": pdu.destination_addr,
    }
    return NewJob("receipt", payload)


def assemble(rows: list[Any]) -> WholeMessage:
    """One message from its parts (rows of mo_parts in sequence order)."""
    first = rows[0]
    payloads = [row.payload for row in rows]
    coding = first.data_coding
    joined = b"".join(payloads)
    key = dedupe_key(first.sender, first.recipient, coding, joined)
    text = decode_parts(payloads, coding)
    return WholeMessage(first.sender, first.recipient, text, coding, len(rows), key)
