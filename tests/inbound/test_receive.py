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
from kodeord.app.maintenance import Maintenance
from kodeord.app.mo.intake import InboundReceiver, InboundRouter
from kodeord.app.mo.routing import Routed
from kodeord.domain.routing import Decision, DecisionKind, Step
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.message import compose
from kodeord.smpp.pdu import DeliverSm
from kodeord.wiring import make_context

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _run(
    database_url: str,
    scenario: Callable[[InboundReceiver, Clock], Coroutine[Any, Any, None]],
    router: InboundRouter | None = None,
) -> None:
    async def main() -> None:
        db = Database(database_url)
        clock = Clock()
        ctx = make_context(db, clock=clock)
        await db.start()
        try:
            await scenario(InboundReceiver(ctx, router), clock)
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
    async with receiver.ctx.storage.db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _jobs(receiver: InboundReceiver, kind: str) -> int:
    queue = receiver.ctx.storage.queue  # type: ignore[attr-defined]  # SqlStorage's
    depth = await queue.depth()
    jobs = await queue.claim([kind], 1000, 30, "test")
    for job in jobs:
        await queue.retry(job.id, NOW - timedelta(seconds=1), "put back")
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
        async with receiver.ctx.storage.db.read() as conn:
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
        queue = receiver.ctx.storage.queue  # type: ignore[attr-defined]
        maintenance = Maintenance(receiver.ctx, receiver, queue)
        assert await maintenance.run_once() == 0
        clock.now += timedelta(minutes=11)
        assert await maintenance.run_once() == 1
        async with receiver.ctx.storage.db.read() as conn:
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
        async with receiver.ctx.storage.db.transaction() as conn:  # storage breaks
            await conn.exec_driver_sql("ALTER TABLE messages RENAME TO messages_gone")
        (pdu,) = _pdus("PIZZA")
        assert await receiver.receive("op", pdu) == CommandStatus.ESME_RX_T_APPN
        async with receiver.ctx.storage.db.transaction() as conn:
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


class FakeRouter:
    """Routes every message to the inbox; refuses to decide for KAPUTT and breaks the
    follow-up for the phone +4799999999."""

    def __init__(self) -> None:
        self.decided: list[str] = []
        self.batches: list[int] = []

    async def decide(self, messages: Any, now: datetime) -> list[Routed]:
        self.decided.extend(m.text for m in messages)
        if any(m.text == "KAPUTT" for m in messages):
            raise RuntimeError("router broken")
        return [Routed(_inbox(m), None) for m in messages]

    async def follow_up(self, tx: Any, items: Any, now: datetime, *, lease: bool = True) -> list:
        self.batches.append(len(items))
        if any(item.message.sender == "+4799999999" for item in items):
            raise RuntimeError("follow-up broken")
        return []

    def run_now(self, jobs: Any) -> None:
        assert not jobs


def _inbox(message: Any) -> Decision:
    return Decision(
        kind=DecisionKind.OPERATOR_INBOX, step=Step.NO_MATCH, number="2077", body=message.text
    )


def test_routed_before_storing_and_a_route_job_when_routing_fails(database_url: str) -> None:
    router = FakeRouter()

    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        (ok,) = _pdus("PIZZA")
        (broken,) = _pdus("KAPUTT")
        assert await receiver.receive("op", ok) == CommandStatus.ESME_ROK
        assert await _jobs(receiver, "route") == 0
        async with receiver.ctx.storage.db.read() as conn:
            row = (await conn.execute(select(messages))).one()
        assert (row.status, row.route_step, row.number) == ("inbox", "no_match", "2077")
        assert await receiver.receive("op", broken) == CommandStatus.ESME_ROK
        assert await _jobs(receiver, "route") == 1
        assert router.decided == ["PIZZA", "KAPUTT"] and await _count(receiver) == 2

    _run(database_url, scenario, router)


def test_messages_arriving_together_are_stored_together_and_one_bad_one_alone(
    database_url: str,
) -> None:
    router = FakeRouter()

    async def scenario(receiver: InboundReceiver, clock: Clock) -> None:
        pdus = [_pdus(f"STEM {i}", phone=f"474000000{i}")[0] for i in range(8)]
        assert set(await asyncio.gather(*(receiver.receive("op", p) for p in pdus))) == {
            CommandStatus.ESME_ROK
        }
        assert await _count(receiver) == 8 and max(router.batches) > 1  # shared transactions
        router.batches.clear()
        pdus = [_pdus(f"STEM {i}", phone=f"474100000{i}")[0] for i in range(4)]
        poison = _pdus("STEM 9", phone="4799999999")[0]
        statuses = await asyncio.gather(*(receiver.receive("op", p) for p in [*pdus, poison]))
        assert statuses == [CommandStatus.ESME_ROK] * 4 + [CommandStatus.ESME_RX_T_APPN]
        assert await _count(receiver) == 12  # the four good ones, stored one by one
        # A re-send of a message of a batch is recognised like any other.
        assert await receiver.receive("op", pdus[0]) == CommandStatus.ESME_ROK
        assert await _count(receiver) == 12

    _run(database_url, scenario, router)
