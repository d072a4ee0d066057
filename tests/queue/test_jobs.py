"""JobQueue on SQLite and PostgreSQL: enqueue in the caller's transaction, claims and
leases, retries, dead jobs, dedupe, depth. Time moves only through FakeClock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.exc import StatementError

from kodeord.adapters.db.engine import Database
from kodeord.adapters.queue import Job, JobQueue, JobStatus, NewJob
from kodeord.adapters.queue.jobs import MAX_ERROR_LENGTH
from tests.queue.support import NOW, FakeClock, run_with_database

Scenario = Callable[[Database, JobQueue, FakeClock], Awaitable[None]]


class Boom(Exception):
    pass


def run(database_url: str, scenario: Scenario) -> None:
    async def with_queue(db: Database) -> None:
        clock = FakeClock()
        queue = JobQueue(db, clock)
        try:
            await scenario(db, queue, clock)
        finally:
            await queue.stop()

    run_with_database(database_url, with_queue)


async def add(db: Database, queue: JobQueue, kind: str = "deliver", **kwargs: Any) -> int | None:
    payload = kwargs.pop("payload", {"n": 1})
    return await db.write(lambda conn: queue.enqueue(conn, kind, payload, **kwargs))


async def claim_one(queue: JobQueue, worker: str = "w1", lease: float = 30) -> Job:
    jobs = await queue.claim(None, 1, lease, worker)
    assert len(jobs) == 1
    return jobs[0]


def test_a_rolled_back_enqueue_leaves_no_job(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        with pytest.raises(Boom):
            async with db.transaction() as conn:
                assert await queue.enqueue(conn, "deliver", {"n": 1}) is not None
                raise Boom

        async def enqueue_then_fail(conn: Any) -> None:
            await queue.enqueue(conn, "deliver", {"n": 2})
            raise Boom

        with pytest.raises(Boom):
            await db.write(enqueue_then_fail)
        assert await queue.claim(None, 10, 30, "w1") == []
        assert (await queue.depth())["queued"] == 0

    run(database_url, scenario)


def test_a_committed_job_is_claimed_once_with_its_payload(database_url: str) -> None:
    payload = {"message_id": 7, "text": "BLÅBÆR €", "parts": [1, 2], "meta": {"x": None}}

    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        async with db.transaction() as conn:
            job_id = await queue.enqueue(conn, "deliver", payload)
        clock.advance(5)
        job = await claim_one(queue, "w1", lease=30)
        assert job == Job(
            id=job_id or -1,
            kind="deliver",
            payload=payload,
            attempts=1,
            run_at=NOW,
            created_at=NOW,
            last_error=None,
            status=JobStatus.RUNNING,
            leased_by="w1",
            lease_until=NOW + timedelta(seconds=35),
            dedupe_key=None,
            updated_at=NOW + timedelta(seconds=5),
        )
        assert await queue.claim(None, 10, 30, "w2") == []
        assert await queue.get(job.id) == job

    run(database_url, scenario)


def test_claims_filter_kinds_keep_the_limit_and_go_by_run_at(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        for offset, kind in [(30, "a"), (10, "a"), (20, "b"), (0, "a"), (40, "b")]:
            await add(db, queue, kind, run_at=NOW - timedelta(seconds=offset))
        assert await queue.claim([], 10, 30, "w") == []
        assert await queue.claim(["a"], 0, 30, "w") == []
        b_jobs = await queue.claim(["b"], 10, 30, "w")
        assert [job.run_at for job in b_jobs] == [NOW - timedelta(seconds=s) for s in (40, 20)]
        a_jobs = await queue.claim(None, 2, 30, "w")
        assert [job.run_at for job in a_jobs] == [NOW - timedelta(seconds=s) for s in (30, 10)]
        assert len(await queue.claim(["a", "b"], 10, 30, "w")) == 1

    run(database_url, scenario)


def test_concurrent_claimers_never_share_a_job_and_get_them_all(database_url: str) -> None:
    """Eight workers, 500 jobs, claims of ten at a time."""

    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        new = [NewJob("deliver", {"n": i}) for i in range(500)]
        async with db.transaction() as conn:
            assert len(await queue.enqueue_many(conn, new)) == 500

        async def worker(name: str) -> list[int]:
            taken: list[int] = []
            while jobs := await queue.claim(["deliver"], 10, 30, name):
                taken += [job.id for job in jobs]
                assert await queue.complete_many([job.id for job in jobs], worker=name) == len(jobs)
            return taken

        taken = await asyncio.gather(*(worker(f"w{i}") for i in range(8)))
        every = [job_id for ids in taken for job_id in ids]
        assert len(every) == len(set(every)) == 500
        assert (await queue.depth())["done"] == 500

    run(database_url, scenario)


def test_a_job_whose_lease_expired_is_claimed_again(database_url: str) -> None:
    """The first worker died (or stalled): the job goes to the next, attempts + 1."""

    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        await add(db, queue)
        first = await claim_one(queue, "w1", lease=30)
        clock.advance(29)
        assert await queue.claim(None, 10, 30, "w2") == []
        clock.advance(1)
        second = await claim_one(queue, "w2", lease=30)
        assert (second.id, second.attempts, second.leased_by) == (first.id, 2, "w2")
        assert not await queue.complete(first.id, worker="w1")  # w1 lost its lease
        assert await queue.complete(first.id, worker="w2")

    run(database_url, scenario)


@pytest.mark.parametrize(
    ("advance", "claimable"), [(0, False), (59, False), (60, True), (3600, True)]
)
def test_a_retried_job_waits_for_its_run_at(
    database_url: str, advance: float, claimable: bool
) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        await add(db, queue)
        job = await claim_one(queue)
        assert await queue.retry(job.id, NOW + timedelta(seconds=60), "HTTP 503", worker="w1")
        clock.advance(advance)
        again = await queue.claim(None, 10, 30, "w1")
        assert bool(again) == claimable
        if again:
            assert (again[0].attempts, again[0].last_error) == (2, "HTTP 503")

    run(database_url, scenario)


SETTLE_CASES = [
    # action, worker given, settles
    ("complete", "w1", True),
    ("complete", "w2", False),
    ("complete", None, True),
    ("retry", "w1", True),
    ("retry", "w2", False),
    ("bury", "w1", True),
    ("bury", "w2", False),
    ("bury", None, True),
]


@pytest.mark.parametrize(("action", "worker", "settles"), SETTLE_CASES)
def test_settling_needs_the_lease(
    database_url: str, action: str, worker: str | None, settles: bool
) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        await add(db, queue)
        job = await claim_one(queue, "w1")
        calls: dict[str, Callable[[], Awaitable[bool]]] = {
            "complete": lambda: queue.complete(job.id, worker=worker),
            "retry": lambda: queue.retry(job.id, NOW, "again", worker=worker),
            "bury": lambda: queue.bury(job.id, "gone", worker=worker),
        }
        assert await calls[action]() is settles
        if settles:  # settled once; the job is no longer running
            assert await calls[action]() is False

    run(database_url, scenario)


def test_a_buried_job_is_listed_and_can_be_replayed(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        await add(db, queue, payload={"n": 42})
        job = await claim_one(queue)
        assert await queue.bury(job.id, "HTTP 410 gone")
        assert await queue.claim(None, 10, 30, "w1") == []
        [dead] = await queue.list_dead()
        assert (dead.id, dead.status, dead.last_error, dead.attempts) == (
            job.id,
            JobStatus.DEAD,
            "HTTP 410 gone",
            1,
        )
        clock.advance(600)
        assert await queue.replay(job.id)
        assert not await queue.replay(job.id)  # no longer dead
        again = await claim_one(queue)
        assert (again.id, again.attempts, again.run_at) == (job.id, 1, clock.now)
        assert (again.payload, again.last_error) == ({"n": 42}, "HTTP 410 gone")

    run(database_url, scenario)


def test_replay_all_requeues_every_dead_job_and_only_those(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        for n in range(4):
            await add(db, queue, payload={"n": n})
        jobs = await queue.claim(None, 4, 30, "w1")
        for job in jobs[:3]:
            await queue.bury(job.id, "no")
        await queue.complete(jobs[3].id)
        assert [job.id for job in await queue.list_dead(limit=2, offset=1)] == [
            jobs[1].id,
            jobs[0].id,
        ]
        assert await queue.replay_all() == 3
        assert await queue.depth() == {"queued": 3, "running": 0, "done": 1, "dead": 0}
        assert await queue.replay_all() == 0

    run(database_url, scenario)


def test_a_dedupe_key_makes_enqueue_idempotent(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        first = await add(db, queue, dedupe_key="mo:4741234567:77")
        assert first is not None
        assert await add(db, queue, dedupe_key="mo:4741234567:77") is None
        async with db.transaction() as conn:
            assert await queue.enqueue(conn, "deliver", {}, dedupe_key="k2") is not None
            assert await queue.enqueue(conn, "deliver", {}, dedupe_key="k2") is None
        assert None not in {await add(db, queue) for _ in range(3)}  # no key: never a duplicate
        async with db.transaction() as conn:
            batch = [NewJob("deliver", {}, dedupe_key=key) for key in ("k2", "k3", "k3", "k4")]
            assert len(await queue.enqueue_many(conn, batch)) == 2
        assert (await queue.depth())["queued"] == 1 + 1 + 3 + 2

    run(database_url, scenario)


def test_depth_counts_every_status(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        assert await queue.depth() == {"queued": 0, "running": 0, "done": 0, "dead": 0}
        for n in range(5):
            await add(db, queue, payload={"n": n})
        done, dead, _running = await queue.claim(None, 3, 30, "w1")
        await queue.complete(done.id)
        await queue.bury(dead.id, "no")
        assert await queue.depth() == {"queued": 2, "running": 1, "done": 1, "dead": 1}

    run(database_url, scenario)


def test_purge_done_deletes_only_old_done_jobs(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        for n in range(3):
            await add(db, queue, payload={"n": n})
        first, second, _third = await queue.claim(None, 3, 30, "w1")
        await queue.complete(first.id)
        clock.advance(60)
        await queue.complete(second.id)
        assert await queue.purge_done(NOW) == 0
        assert await queue.purge_done(NOW + timedelta(seconds=1)) == 1
        assert await queue.depth() == {"queued": 0, "running": 1, "done": 1, "dead": 0}
        assert await queue.get(first.id) is None

    run(database_url, scenario)


def test_payloads_are_json_and_errors_are_cut(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        with pytest.raises((TypeError, StatementError)):
            await add(db, queue, payload={"when": NOW})  # not JSON: refused, never pickled
        await add(db, queue)
        job = await claim_one(queue)
        await queue.bury(job.id, "x" * (MAX_ERROR_LENGTH * 2))
        [dead] = await queue.list_dead()
        assert dead.last_error is not None and len(dead.last_error) == MAX_ERROR_LENGTH

    run(database_url, scenario)
