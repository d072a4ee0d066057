"""JobQueue.wait: woken by committed enqueues (this process; other processes through
PostgreSQL NOTIFY), at the next due job, or on its timeout. The only real waits here are
bounded waits for wake-ups; timers are checked through `wake_delay` with given times."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from kodeord.adapters.db.engine import Database
from kodeord.adapters.queue import JobQueue, store
from kodeord.adapters.queue.wakeup import CHANNEL, wake_delay
from tests.queue.support import NOW, FakeClock, run_with_database

S = timedelta(seconds=1)
LONG = 30.0  # a wait() that reaches this timeout fails the test's own bound first
PROMPT = 5.0  # how soon a wake-up must arrive


class Boom(Exception):
    pass


async def enqueue(db: Database, queue: JobQueue) -> None:
    async with db.transaction() as conn:
        await queue.enqueue(conn, "deliver", {"n": 1})


async def woken_by(queue: JobQueue, action: asyncio.Future[None] | None = None) -> float:
    """Start a long wait(), run the action, and return how long the wait took."""
    started = time.monotonic()
    waiter = asyncio.create_task(queue.wait(LONG))
    await asyncio.sleep(0.05)  # let the waiter reach its sleep
    if action is not None:
        await action
    async with asyncio.timeout(PROMPT):
        assert await waiter is True
    return time.monotonic() - started


def test_wait_wakes_when_this_process_commits_a_job(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        queue = JobQueue(db, FakeClock())
        try:
            await queue.start()
            assert await woken_by(queue, asyncio.ensure_future(enqueue(db, queue))) < PROMPT
        finally:
            await queue.stop()

    run_with_database(database_url, scenario)


def test_a_queue_of_the_same_database_wakes_too(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        producer, consumer = JobQueue(db, FakeClock()), JobQueue(db, FakeClock())
        try:
            await consumer.start()
            assert await woken_by(consumer, asyncio.ensure_future(enqueue(db, producer))) < PROMPT
        finally:
            await consumer.stop()

    run_with_database(database_url, scenario)


def test_a_wake_up_between_claim_and_wait_is_not_lost(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        queue = JobQueue(db, FakeClock())
        try:
            assert await queue.claim(None, 10, 30, "w1") == []
            await enqueue(db, queue)  # committed before the worker gets to wait()
            await queue.claim(None, 10, 30, "w1")  # due work is gone; the signal stays
            async with asyncio.timeout(PROMPT):
                assert await queue.wait(LONG) is True
        finally:
            await queue.stop()

    run_with_database(database_url, scenario)


def test_wait_returns_at_once_while_jobs_are_due(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        queue = JobQueue(db, FakeClock())
        try:
            await enqueue(db, queue)
            assert await queue.wait(LONG) is True  # the enqueue's signal
            async with asyncio.timeout(PROMPT):
                assert await queue.wait(LONG) is True  # the job is still due
                assert await queue.wait(LONG, kinds=["deliver"]) is True
            assert await queue.wait(0.05, kinds=["other"]) is False
        finally:
            await queue.stop()

    run_with_database(database_url, scenario)


def test_a_cancel_during_the_next_due_read_is_not_swallowed(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read's database error (logged, then poll) must not hide the cancel: a worker
    stopping while it waits would otherwise wait on, and stop() never returns."""
    reading = asyncio.Event()

    async def next_due_cancelled_as_sqlalchemy_does(*_: object) -> None:
        reading.set()
        try:
            await asyncio.sleep(LONG)
        except asyncio.CancelledError:
            error = "Can't reconnect until invalid transaction is rolled back"
            raise SQLAlchemyError(error) from None

    monkeypatch.setattr(store, "next_due", next_due_cancelled_as_sqlalchemy_does)

    async def scenario(db: Database) -> None:
        queue = JobQueue(db, FakeClock())
        try:
            waiter = asyncio.create_task(queue.wait(LONG))
            async with asyncio.timeout(PROMPT):
                await reading.wait()
            waiter.cancel()
            done, _ = await asyncio.wait({waiter}, timeout=PROMPT)
            assert waiter in done, "wait() went on sleeping after it was cancelled"
            assert waiter.cancelled()
        finally:
            await queue.stop()

    run_with_database(database_url, scenario)


def test_a_rolled_back_enqueue_wakes_no_one(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        queue = JobQueue(db, FakeClock())
        try:
            await queue.start()
            with pytest.raises(Boom):
                async with db.transaction() as conn:
                    await queue.enqueue(conn, "deliver", {"n": 1})
                    raise Boom
            assert await queue.wait(0.3) is False
        finally:
            await queue.stop()

    run_with_database(database_url, scenario)


def test_another_connection_wakes_postgresql_waiters_and_sqlite_ones_poll(
    database_url: str, backend: str
) -> None:
    """A second Database stands for another process: on PostgreSQL its NOTIFY wakes us;
    SQLite cannot signal across processes, so the waiter finds the job on its timeout."""

    async def scenario(db: Database) -> None:
        queue = JobQueue(db, FakeClock())
        other_db = Database(database_url)
        other = JobQueue(other_db, FakeClock())
        try:
            await queue.start()
            if backend == "postgresql":
                assert await woken_by(queue, asyncio.ensure_future(enqueue(other_db, other))) < 2
            else:
                waiter = asyncio.create_task(queue.wait(0.3))
                await asyncio.sleep(0.05)
                await enqueue(other_db, other)
                assert await waiter is False  # not woken: it polls on its timeout
            assert len(await queue.claim(None, 10, 30, "w1")) == 1
        finally:
            await queue.stop()
            await other_db.close()

    run_with_database(database_url, scenario)


@pytest.mark.postgres
def test_the_listener_reconnects_and_wakes_waiters(postgres_database: str) -> None:
    """The listening connection is killed: the waiter is woken (it may have missed a
    NOTIFY), and NOTIFYs reach it again over the new connection."""
    kill = (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND query = :listen"
    )

    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            await conn.execute(text("DELETE FROM jobs"))
        queue = JobQueue(db, FakeClock())
        other_db = Database(postgres_database)
        other = JobQueue(other_db, FakeClock())

        async def kill_listener() -> None:
            async with db.transaction() as conn:
                killed = await conn.execute(text(kill), {"listen": f"LISTEN {CHANNEL}"})
                assert killed.rowcount == 1

        try:
            await queue.start()
            assert await woken_by(queue, asyncio.ensure_future(kill_listener())) < PROMPT
            assert await woken_by(queue, asyncio.ensure_future(enqueue(other_db, other))) < 2
        finally:
            await queue.stop()
            await other_db.close()

    run_with_database(postgres_database, scenario)


def test_the_next_due_moment_is_the_earliest_run_at_or_lease_end(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        clock = FakeClock()
        queue = JobQueue(db, clock)
        async with db.transaction() as conn:
            await queue.enqueue(conn, "deliver", {}, run_at=NOW + 60 * S)
            await queue.enqueue(conn, "receipt", {}, run_at=NOW)
        [receipt] = await queue.claim(["receipt"], 1, 30, "w1")  # leased until NOW + 30 s
        cases = [
            (None, NOW + 30 * S),
            (["receipt"], NOW + 30 * S),
            (["deliver"], NOW + 60 * S),
            (["sms"], None),
        ]
        async with db.read() as conn:
            for kinds, due in cases:
                assert await store.next_due(conn, kinds) == due
        await queue.complete(receipt.id)
        async with db.read() as conn:
            assert await store.next_due(conn, None) == NOW + 60 * S

    run_with_database(database_url, scenario)


WAKE_DELAYS: list[tuple[datetime, datetime | None, float, float]] = [
    # now, next due, timeout, expected sleep
    (NOW, None, 5.0, 5.0),
    (NOW, NOW + 2 * S, 5.0, 2.0),
    (NOW, NOW + 60 * S, 5.0, 5.0),
    (NOW, NOW, 5.0, 0.0),
    (NOW, NOW - 60 * S, 5.0, 0.0),
    (NOW, NOW + S / 2, 5.0, 0.5),
    (NOW, None, -1.0, 0.0),
]


@pytest.mark.parametrize(("now", "due", "timeout", "expected"), WAKE_DELAYS)
def test_wake_delay(now: datetime, due: datetime | None, timeout: float, expected: float) -> None:
    assert wake_delay(now, due, timeout) == expected
