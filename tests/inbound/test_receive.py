"""Store-before-acknowledge in detail: parts, duplicates from the operator, receipts,
incomplete long messages — driven through the receiver with real databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.schema import messages, mo_parts
from kodeord.adapters.queue import JobQueue
from kodeord.app.context import Context
from kodeord.app.inbound import InboundReceiver
from kodeord.app.maintenance import Maintenance
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.message import compose
from kodeord.smpp.pdu import DeliverSm

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _run(
    database_url: str, scenario: Callable[[InboundReceiver, Clock], Coroutine[Any, Any, None]]
) -> None:
    async def main() -> None:
        db = Database(database_url)
        clock = Clock()
        ctx = Context(db=db, clock=clock)
        queue = JobQueue(db, clock=clock)
        await db.start()
        try:
            await scenario(InboundReceiver(ctx, queue), clock)
        finally:
            await db.close()

    asyncio.run(main())


def _pdus(text: str, ref: int = 9, phone: str = "4741234567") -> list[DeliverSm]:
    return [
        DeliverSm(
            source_addr_ton=1,
            source_addr=phone,
            destination_addr="2077",
            esm_class=p.esm_class_bits,
            data_coding=p.data_coding,
            short_message=p.short_message,
            tlvs=p.tlvs,
        )
        for p in compose(text, ref=ref).parts
    ]


async def _count(receiver: InboundReceiver, table: Any = messages) -> int:
    async with receiver.ctx.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _jobs(receiver: InboundReceiver, kind: str) -> int:
    depth = await receiver.queue.depth()
    jobs = await receiver.queue.claim([kind], 1000, 30, "test")
    for job in jobs:
        await receiver.queue.retry(job.id, NOW - timedelta(seconds=1), "put back")
    return len(jobs) if depth["queued"] else 0


def test_one_message_and_its_route_job(database_url: str) -> None:
    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        (pdu,) = _pdus("PIZZA 2")
        assert await receiver.receive("op", pdu) == CommandStatus.ESME_ROK
        assert await _count(receiver) == 1
        assert await _jobs(receiver, "route") == 1

    _run(database_url, scenario)


def test_a_resent_mo_is_acknowledged_but_kept_once(database_url: str) -> None:
    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        (pdu,) = _pdus("JA")
        for _ in range(3):
            assert await receiver.receive("op", pdu) == CommandStatus.ESME_ROK
        assert await _count(receiver) == 1
        clock.now += receiver.dedupe_window + timedelta(seconds=1)
        assert await receiver.receive("op", pdu) == CommandStatus.ESME_ROK
        assert await _count(receiver) == 2  # outside the window: a new message

    _run(database_url, scenario)


def test_parts_in_any_order_with_resends_make_one_message(database_url: str) -> None:
    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        first, second, third = _pdus("PIZZA " + "æøå € " * 60)
        for pdu in (third, first, third, second, first):
            assert await receiver.receive("op", pdu) == CommandStatus.ESME_ROK
        assert await _count(receiver) == 1 and await _count(receiver, mo_parts) == 0
        async with receiver.ctx.db.read() as conn:
            row = (await conn.execute(select(messages))).one()
        assert row.text == "PIZZA " + "æøå € " * 60 and row.segments == 3
        assert await receiver.receive("op", second) == CommandStatus.ESME_ROK  # late re-send
        assert await _count(receiver) == 1 and await _count(receiver, mo_parts) == 0

    _run(database_url, scenario)


def test_a_long_message_missing_a_part_is_delivered_after_the_timeout(database_url: str) -> None:
    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        first, _, third = _pdus("PIZZA " + "x" * 400)
        await receiver.receive("op", first)
        await receiver.receive("op", third)
        maintenance = Maintenance(receiver)
        assert await maintenance.run_once() == 0
        clock.now += timedelta(minutes=11)
        assert await maintenance.run_once() == 1
        async with receiver.ctx.db.read() as conn:
            row = (await conn.execute(select(messages))).one()
        assert row.text.startswith("PIZZA xxx") and row.segments == 2
        assert await _count(receiver, mo_parts) == 0

    _run(database_url, scenario)


def test_a_receipt_is_kept_as_a_job(database_url: str) -> None:
    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        text = (
            b"id:123 sub:001 dlvrd:001 submit date:2611261200 done date:2611261201"
            b" stat:DELIVRD err:000 text:"
        )
        pdu = DeliverSm(
            source_addr="4741234567", destination_addr="2077", esm_class=0x04, short_message=text
        )
        assert await receiver.receive("op", pdu) == CommandStatus.ESME_ROK
        assert await _count(receiver) == 0
        assert await _jobs(receiver, "receipt") == 1

    _run(database_url, scenario)


def test_storage_failure_answers_a_temporary_error(database_url: str) -> None:
    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        async with receiver.ctx.db.transaction() as conn:  # storage breaks
            await conn.exec_driver_sql("ALTER TABLE messages RENAME TO messages_gone")
        (pdu,) = _pdus("PIZZA")
        assert await receiver.receive("op", pdu) == CommandStatus.ESME_RX_T_APPN
        async with receiver.ctx.db.transaction() as conn:
            await conn.exec_driver_sql("ALTER TABLE messages_gone RENAME TO messages")
        assert await receiver.receive("op", pdu) == CommandStatus.ESME_ROK
        assert await _count(receiver) == 1

    _run(database_url, scenario)


def test_parts_arriving_at_the_same_moment_are_assembled(database_url: str) -> None:
    """Each part in its own concurrent transaction (PostgreSQL has no single writer)."""

    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        for ref in range(20):
            pdus = _pdus(f"PIZZA {ref} " + "ø" * 400, ref=ref)
            statuses = await asyncio.gather(*(receiver.receive("op", p) for p in pdus))
            assert set(statuses) == {CommandStatus.ESME_ROK}
        assert await _count(receiver) == 20 and await _count(receiver, mo_parts) == 0

    _run(database_url, scenario)


def test_inline_routing_replaces_the_route_job_and_falls_back_to_it(database_url: str) -> None:
    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        routed: list[int] = []

        async def router(conn: Any, message: Any, now: datetime) -> bool:
            routed.append(message.id)
            return message.text != "KAPUTT"

        receiver.inline_router = router
        (ok,) = _pdus("PIZZA")
        (broken,) = _pdus("KAPUTT")
        await receiver.receive("op", ok)
        assert await _jobs(receiver, "route") == 0
        await receiver.receive("op", broken)
        assert await _jobs(receiver, "route") == 1
        assert len(routed) == 2 and await _count(receiver) == 2

    _run(database_url, scenario)
