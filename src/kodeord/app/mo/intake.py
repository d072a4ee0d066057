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

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from kodeord.app.batching import Batcher
from kodeord.app.context import Context
from kodeord.app.jobs import JobKind, NewJob
from kodeord.app.metrics import METRICS
from kodeord.app.mo.leased import Leased
from kodeord.app.mo.ports import (
    UNROUTED,
    MoTx,
    NewMo,
    NewPart,
    PartGroup,
    StoredMo,
    StoredPart,
)
from kodeord.app.mo.routing import Routed, RoutedMo, as_routed
from kodeord.domain.phones import to_e164
from kodeord.domain.routing import IncomingMessage
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


def new_mo(arrival: Arrival, now: datetime) -> NewMo:
    """A new inbound message (before routing)."""
    whole = arrival.whole
    return NewMo(
        recipient=whole.recipient,
        sender=whole.sender,
        text=whole.text,
        data_coding=whole.data_coding,
        encoding=encoding_of(whole.data_coding).name,
        segments=whole.segments,
        link=arrival.link,
        received_at=now,
    )


def _stored(new: NewMo, message_id: int) -> StoredMo:
    """A message just inserted, as stored before routing."""
    return StoredMo(
        id=message_id,
        recipient=new.recipient,
        sender=new.sender,
        text=new.text,
        received_at=new.received_at,
        segments=new.segments,
        encoding=new.encoding,
        number=None,
        customer_id=None,
        keyword=None,
        body=None,
        destination=None,
    )


def dedupe_key(sender: str, recipient: str, data_coding: int, payload: bytes) -> str:
    digest = hashlib.sha256()
    for piece in (sender.encode(), recipient.encode(), str(data_coding).encode(), payload):
        digest.update(len(piece).to_bytes(4, "big"))
        digest.update(piece)
    return digest.hexdigest()


class InboundRouter(Protocol):
    """What the receiver asks of routing (app/mo/routing.py MoRouter implements it)."""

    async def decide(
        self, messages: Sequence[IncomingMessage], now: datetime
    ) -> Sequence[Routed]: ...

    async def follow_up(
        self, tx: MoTx, items: Sequence[RoutedMo], now: datetime, *, lease: bool = False
    ) -> Sequence[Leased]: ...

    def run_now(self, leased: Sequence[Leased]) -> None: ...


@dataclass(frozen=True, slots=True)
class Arrival:
    whole: WholeMessage
    link: str | None


class InboundReceiver:
    def __init__(
        self,
        ctx: Context[MoTx],
        router: InboundRouter | None,
        dedupe_window: timedelta = DEFAULT_DEDUPE_WINDOW,
    ) -> None:
        self.ctx = ctx
        self.router = router  # None: every message gets a `route` job (tests of intake)
        self.dedupe_window = dedupe_window
        concurrency = ctx.storage.write_concurrency
        # Whole messages that arrive together are stored (and routed) together.
        self._intake: Batcher[Arrival, int] = Batcher(self._store_arrivals, concurrency=concurrency)
        self._receipts: Batcher[NewJob, None] = Batcher(
            self._store_receipts, concurrency=concurrency
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
                await self.ctx.storage.write(lambda tx: self._store_part(tx, link, sender, pdu))
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
            leased = await self.ctx.storage.write(
                lambda tx: self._insert(tx, arrivals, routed, now, lease=True)
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

    async def _fresh(self, tx: MoTx, arrivals: Sequence[Arrival], now: datetime) -> list[int]:
        """The indexes of the arrivals not seen within the dedupe window."""
        seen = await tx.mo_seen.seen_keys([a.whole.key for a in arrivals], now - self.dedupe_window)
        fresh: list[int] = []
        for index, arrival in enumerate(arrivals):
            key = arrival.whole.key
            if key in seen:
                METRICS.mo_duplicates.inc()
                log.info("duplicate MO acknowledged again", sender=arrival.whole.sender)
                continue
            seen.add(key)
            fresh.append(index)
        return fresh

    async def _insert(
        self,
        tx: MoTx,
        arrivals: Sequence[Arrival],
        routed: Sequence[Routed] | None,
        now: datetime,
        *,
        lease: bool,
    ) -> Sequence[Leased]:
        """Insert the messages not seen before; queue or lease what follows them (the
        router's leased jobs are returned, for `run_now` after the commit)."""
        fresh = await self._fresh(tx, arrivals, now)
        if not fresh:
            return []
        news = [new_mo(arrivals[i], now) for i in fresh]
        records = [UNROUTED if routed is None else routed[i].record(now) for i in fresh]
        ids = await tx.mo_messages.insert_many(list(zip(news, records, strict=True)))
        await tx.mo_seen.remember(
            [(arrivals[i].whole.key, id_) for i, id_ in zip(fresh, ids, strict=True)], now
        )
        METRICS.mo_received.inc(len(ids))
        if routed is None or self.router is None:
            await tx.jobs.enqueue_many([NewJob(JobKind.ROUTE, {"message_id": id_}) for id_ in ids])
            return []
        items = [
            as_routed(_stored(new, id_), routed[i], now)
            for i, id_, new in zip(fresh, ids, news, strict=True)
        ]
        return await self.router.follow_up(tx, items, now, lease=lease)

    async def store_message(
        self, tx: MoTx, whole: WholeMessage, link: str | None, now: datetime
    ) -> None:
        """Store one whole message inside the caller's unit of work (a long MO assembled
        there). Its deliver job is queued, not leased: the caller commits, not us."""
        routed = await self._decide([whole], now)
        await self._insert(tx, [Arrival(whole, link)], routed, now, lease=False)

    async def _store_part(self, tx: MoTx, link: str, sender: str, pdu: DeliverSm | DataSm) -> None:
        part = read_body(pdu)
        now = self.ctx.clock()
        whole = await self._add_part(tx, link, sender, pdu.destination_addr, part, now)
        if whole is not None:
            await self.store_message(tx, whole, link, now)

    async def _add_part(
        self,
        tx: MoTx,
        link: str,
        sender: str,
        recipient: str,
        part: IncomingPart,
        now: datetime,
    ) -> WholeMessage | None:
        concat = part.concat
        assert concat is not None
        group = PartGroup(sender, recipient, concat.ref, concat.total)
        await tx.mo_parts.lock_group(group)
        # A part re-sent after its message was assembled (its row is gone by then).
        place = f"{concat.ref}/{concat.total}/{concat.seq}".encode()
        part_key = dedupe_key(sender, recipient, part.data_coding, place + part.payload)
        if await tx.mo_seen.seen_since(part_key, now - self.dedupe_window) is not None:
            METRICS.mo_duplicates.inc()
            return None
        await tx.mo_seen.remember([(part_key, 0)], now)
        new = NewPart(
            sender,
            recipient,
            concat.ref,
            concat.total,
            concat.seq,
            part.data_coding,
            part.payload,
            link,
            now,
        )
        if not await tx.mo_parts.add(new):
            METRICS.mo_duplicates.inc()
            return None
        parts = await tx.mo_parts.take(group)
        if parts is None:
            return None
        return assemble(parts)

    async def flush_stale_parts(self, before: datetime) -> int:
        """Long MOs whose other parts never came (first part before `before`) become
        messages of what came, routed like any other: an operator that loses a part must
        not make us lose the rest. How many there were."""
        async with self.ctx.storage.read() as tx:
            stale = await tx.mo_parts.stale_groups(before)
        for group in stale:
            await self.ctx.storage.write(functools.partial(self._flush, group=group))
        return len(stale)

    async def _flush(self, tx: MoTx, *, group: PartGroup) -> None:
        await tx.mo_parts.lock_group(group)
        parts = await tx.mo_parts.take(group, complete_only=False)
        if parts:
            log.warning(
                "long MO incomplete after the timeout; delivering what came",
                sender=group.sender,
                parts=len(parts),
                total=group.total,
            )
            await self.store_message(tx, assemble(parts), parts[0].link, self.ctx.clock())

    async def forget_seen(self, now: datetime) -> int:
        """Forget dedupe memory older than the dedupe window."""
        before = now - self.dedupe_window
        return await self.ctx.storage.write(lambda tx: tx.mo_seen.forget_before(before))

    async def _store_receipts(self, jobs: list[NewJob]) -> list[None]:
        """Receipts that arrive together become their `receipt` jobs in one write."""
        await self.ctx.storage.write(lambda tx: tx.jobs.enqueue_many(jobs))
        return [None] * len(jobs)


def _receipt_job(link: str, pdu: DeliverSm | DataSm) -> NewJob:
    payload: dict[str, object] = {
        "link": link,
        "short_message": pdu.short_message.hex() if isinstance(pdu, DeliverSm) else "",
        "tlvs": {str(tag): value.hex() for tag, value in raw_tlvs(pdu.tlvs).items()},
        "source_addr": pdu.source_addr,
        "destination_addr": pdu.destination_addr,
    }
    return NewJob(JobKind.RECEIPT, payload)


def assemble(parts: Sequence[StoredPart]) -> WholeMessage:
    """One message from its parts (in sequence order)."""
    first = parts[0]
    payloads = [part.payload for part in parts]
    coding = first.data_coding
    joined = b"".join(payloads)
    key = dedupe_key(first.sender, first.recipient, coding, joined)
    text = decode_parts(payloads, coding)
    return WholeMessage(first.sender, first.recipient, text, coding, len(parts), key)
