"""Jobs that start leased: `JobQueue.enqueue_leased` and `complete_in` on SQLite and
PostgreSQL, and the worker that runs them (`JobWorker.take`, `room`). A producer inserts
jobs already running under its worker, runs them after its commit without a claim, and
may mark them done in its own write; if it dies, the lease ends and another worker
claims them (at least once). Time moves only through FakeClock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from kodeord.adapters.db.engine import Database
from kodeord.adapters.queue import Job, JobQueue, JobStatus, NewJob
from kodeord.app.worker import DONE, SETTLED, Dead, Handler, JobWorker, Outcome, RetryAt
from tests.queue.support import NOW, FakeClock
from tests.queue.test_jobs import Boom, add, claim_one, run


async def lease(
    db: Database, queue: JobQueue, keys: list[str], worker: str = "w1", seconds: float = 30
) -> list[Job]:
    new = [NewJob("deliver", {"key": key}, dedupe_key=key) for key in keys]
    async with db.transaction() as conn:
        return await queue.enqueue_leased(conn, new, worker, seconds)


def test_enqueue_leased_returns_the_running_jobs_it_stored(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        clock.advance(7)
        now = clock.now
        new = [
            NewJob("deliver", {"message_id": 1, "tekst": "BLÅBÆR 🫐"}, dedupe_key="deliver:1"),
            NewJob("receipt", {"message_id": 2}, run_at=NOW, dedupe_key="receipt:2"),
        ]
        async with db.transaction() as conn:
            jobs = await queue.enqueue_leased(conn, new, "w1", 45)
        expected = [
            Job(
                id=jobs[0].id,
                kind="deliver",
                payload={"message_id": 1, "tekst": "BLÅBÆR 🫐"},
                attempts=1,
                run_at=now,
                created_at=now,
                last_error=None,
                status=JobStatus.RUNNING,
                leased_by="w1",
                lease_until=now + timedelta(seconds=45),
                dedupe_key="deliver:1",
                updated_at=now,
            ),
            Job(
                id=jobs[1].id,
                kind="receipt",
                payload={"message_id": 2},
                attempts=1,
                run_at=NOW,
                created_at=now,
                last_error=None,
                status=JobStatus.RUNNING,
                leased_by="w1",
                lease_until=now + timedelta(seconds=45),
                dedupe_key="receipt:2",
                updated_at=now,
            ),
        ]
        assert jobs == expected
        assert jobs[0].id != jobs[1].id
        assert [await queue.get(job.id) for job in jobs] == expected  # as stored
        assert await queue.depth() == {"queued": 0, "running": 2, "done": 0, "dead": 0}

    run(database_url, scenario)


def test_enqueue_leased_skips_jobs_whose_dedupe_key_exists(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        queued = await add(db, queue, payload={"old": True}, dedupe_key="k1")
        [earlier] = await lease(db, queue, ["k2"], worker="w0")
        jobs = await lease(db, queue, ["k1", "k3", "k2", "k4"], worker="w1")
        assert [(job.dedupe_key, job.payload) for job in jobs] == [
            ("k3", {"key": "k3"}),
            ("k4", {"key": "k4"}),
        ]
        assert len({job.id for job in jobs} | {queued or -1, earlier.id}) == 4
        old = await queue.get(queued or -1)
        assert old is not None
        assert (old.status, old.leased_by, old.attempts, old.payload) == (
            JobStatus.QUEUED,
            None,
            0,
            {"old": True},
        )
        assert await queue.get(earlier.id) == earlier  # still w0's
        assert await lease(db, queue, ["k1", "k2", "k3", "k4"]) == []
        assert await queue.depth() == {"queued": 1, "running": 3, "done": 0, "dead": 0}

    run(database_url, scenario)


def test_a_key_given_twice_in_one_call_leases_one_job(database_url: str) -> None:
    """Like enqueue_many, the first row with a key is stored; the worker must be handed
    that one job once, with the payload that was stored."""

    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        new = [
            NewJob("deliver", {"n": 1}, dedupe_key="k1"),
            NewJob("deliver", {"n": 2}, dedupe_key="k2"),
            NewJob("deliver", {"n": 3}, dedupe_key="k1"),
        ]
        async with db.transaction() as conn:
            jobs = await queue.enqueue_leased(conn, new, "w1", 30)
        assert [(job.dedupe_key, job.payload) for job in jobs] == [
            ("k1", {"n": 1}),
            ("k2", {"n": 2}),
        ]
        assert [await queue.get(job.id) for job in jobs] == jobs
        assert await queue.depth() == {"queued": 0, "running": 2, "done": 0, "dead": 0}

    run(database_url, scenario)


def test_enqueue_leased_needs_a_dedupe_key_on_every_job(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        new = [NewJob("deliver", {"n": 1}, dedupe_key="k1"), NewJob("deliver", {"n": 2})]
        async with db.transaction() as conn:
            with pytest.raises(ValueError, match="dedupe_key"):
                await queue.enqueue_leased(conn, new, "w1", 30)
        assert await queue.depth() == {"queued": 0, "running": 0, "done": 0, "dead": 0}

    run(database_url, scenario)


def test_a_rolled_back_enqueue_leased_leaves_no_job(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        with pytest.raises(Boom):
            async with db.transaction() as conn:
                new = [NewJob("deliver", {}, dedupe_key="k1")]
                assert len(await queue.enqueue_leased(conn, new, "w1", 30)) == 1
                raise Boom
        assert await queue.depth() == {"queued": 0, "running": 0, "done": 0, "dead": 0}
        assert len(await lease(db, queue, ["k1"])) == 1  # the key is free again

    run(database_url, scenario)


def test_a_leased_job_goes_to_another_worker_only_when_its_lease_ends(database_url: str) -> None:
    """The producer committed, then died before running the job: it is not lost."""

    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        [job] = await lease(db, queue, ["k1"], worker="w1", seconds=30)
        assert await queue.claim(None, 10, 30, "w2") == []
        clock.advance(29)
        assert await queue.claim(None, 10, 30, "w2") == []
        clock.advance(1)
        again = await claim_one(queue, "w2", lease=30)
        assert (again.id, again.attempts, again.leased_by, again.payload) == (
            job.id,
            2,
            "w2",
            {"key": "k1"},
        )
        assert again.lease_until == NOW + timedelta(seconds=60)
        assert not await queue.complete(job.id, worker="w1")  # w1 lost its lease
        assert await queue.complete(job.id, worker="w2")

    run(database_url, scenario)


def test_enqueue_leased_wakes_no_waiting_worker(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        await queue.wait(0)  # forget any earlier wake-up
        await lease(db, queue, ["k1"])
        assert await queue.wait(0.05) is False  # the producer runs it itself
        await add(db, queue)
        assert await queue.wait(5) is True  # an ordinary enqueue does wake

    run(database_url, scenario)


def test_complete_in_marks_done_only_jobs_running_under_the_worker(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        mine_a, mine_b, finished = await lease(db, queue, ["a", "b", "f"], worker="w1")
        [theirs] = await lease(db, queue, ["t"], worker="w2")
        queued = await add(db, queue, dedupe_key="q") or -1
        assert await queue.complete(finished.id, worker="w1")
        clock.advance(3)
        candidates = [mine_a.id, mine_b.id, finished.id, theirs.id, queued, 999_999]
        async with db.transaction() as conn:
            assert await queue.complete_in(conn, candidates, worker="w1") == {mine_a.id, mine_b.id}
        states = {}
        for job_id in candidates[:5]:
            job = await queue.get(job_id)
            assert job is not None
            states[job_id] = (job.status, job.lease_until, job.updated_at)
        lease_end = NOW + timedelta(seconds=30)
        assert states == {
            mine_a.id: (JobStatus.DONE, None, clock.now),
            mine_b.id: (JobStatus.DONE, None, clock.now),
            finished.id: (JobStatus.DONE, None, NOW),
            theirs.id: (JobStatus.RUNNING, lease_end, NOW),
            queued: (JobStatus.QUEUED, None, NOW),
        }
        async with db.transaction() as conn:  # no worker given: any running job
            assert await queue.complete_in(conn, candidates, worker=None) == {theirs.id}
            assert await queue.complete_in(conn, [], worker="w1") == set()

    run(database_url, scenario)


def test_complete_in_is_part_of_the_callers_transaction(database_url: str) -> None:
    async def scenario(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        [job] = await lease(db, queue, ["k1"])
        with pytest.raises(Boom):
            async with db.transaction() as conn:
                assert await queue.complete_in(conn, [job.id], worker="w1") == {job.id}
                raise Boom
        assert await queue.get(job.id) == job  # still running, still leased

        async def complete(conn: Any) -> set[int]:
            return await queue.complete_in(conn, [job.id], worker="w1")

        assert await db.write(complete) == {job.id}
        done = await queue.get(job.id)
        assert done is not None and done.status is JobStatus.DONE

    run(database_url, scenario)


# --- JobWorker.take ------------------------------------------------------------------

RETRY_AT = NOW + timedelta(seconds=60)

# job kind, what its handler answers (None: it raises), status and last_error after
TAKE_CASES: list[tuple[str, Outcome | None, JobStatus, str | None]] = [
    ("done", DONE, JobStatus.DONE, None),
    ("settled", SETTLED, JobStatus.RUNNING, None),  # the handler's to settle, not the worker's
    ("retry", RetryAt(RETRY_AT, "HTTP 503"), JobStatus.QUEUED, "HTTP 503"),
    ("dead", Dead("HTTP 410"), JobStatus.DEAD, "HTTP 410"),
    ("boom", None, JobStatus.QUEUED, "RuntimeError('handler bug')"),
]

WorkerScenario = Callable[
    [Database, JobQueue, FakeClock, JobWorker, asyncio.Event], Awaitable[None]
]


def run_worker(
    database_url: str, scenario: WorkerScenario, concurrency: int = 8, taken_limit: int = 8
) -> None:
    """Run a scenario with a JobWorker whose claim loop is not started (only `take`
    gives it jobs) and whose handlers wait for `gate`."""

    async def with_worker(db: Database, queue: JobQueue, clock: FakeClock) -> None:
        gate = asyncio.Event()
        handlers = {kind: answer(kind, outcome, gate) for kind, outcome, *_ in TAKE_CASES}
        worker = JobWorker(
            queue,
            handlers,
            clock,
            concurrency=concurrency,
            taken_limit=taken_limit,
            error_pause=5,
        )
        try:
            await scenario(db, queue, clock, worker, gate)
        finally:
            gate.set()
            await worker.stop()

    run(database_url, with_worker)


def answer(kind: str, outcome: Outcome | None, gate: asyncio.Event) -> Handler:
    async def handler(job: Job) -> Outcome:
        assert job.kind == kind
        await gate.wait()
        if outcome is None:
            raise RuntimeError("handler bug")
        return outcome

    return handler


async def lease_kinds(
    db: Database, queue: JobQueue, worker: JobWorker, kinds: list[str], prefix: str = "j"
) -> list[Job]:
    new = [NewJob(kind, {"n": n}, dedupe_key=f"{prefix}:{n}") for n, kind in enumerate(kinds)]
    async with db.transaction() as conn:
        return await queue.enqueue_leased(conn, new, worker.name, worker.lease_seconds)


async def finish(worker: JobWorker) -> None:
    """Wait for the taken jobs: stop() waits for running handlers (no claim loop runs)."""
    async with asyncio.timeout(5):
        await worker.stop()


def test_take_runs_each_job_and_settles_it_by_its_outcome(database_url: str) -> None:
    async def scenario(
        db: Database, queue: JobQueue, clock: FakeClock, worker: JobWorker, gate: asyncio.Event
    ) -> None:
        jobs = await lease_kinds(db, queue, worker, [kind for kind, *_ in TAKE_CASES])
        clock.advance(2)
        worker.take(jobs)
        gate.set()
        await finish(worker)
        for job, (kind, _, status, error) in zip(jobs, TAKE_CASES, strict=True):
            stored = await queue.get(job.id)
            assert stored is not None
            assert (stored.kind, stored.status, stored.last_error) == (kind, status, error)
            if status is JobStatus.RUNNING:
                assert (stored.leased_by, stored.lease_until) == (worker.name, job.lease_until)
            else:
                assert stored.lease_until is None
        retried, failed = await queue.get(jobs[2].id), await queue.get(jobs[4].id)
        assert retried is not None and retried.run_at == RETRY_AT
        assert failed is not None and failed.run_at == clock.now + timedelta(seconds=5)

    run_worker(database_url, scenario)


def test_room_goes_down_while_taken_jobs_run_and_back_up_after(database_url: str) -> None:
    async def scenario(
        db: Database, queue: JobQueue, clock: FakeClock, worker: JobWorker, gate: asyncio.Event
    ) -> None:
        assert worker.room() == 4
        worker.take(await lease_kinds(db, queue, worker, ["done", "done", "settled"]))
        assert worker.room() == 1
        await asyncio.sleep(0)  # the handlers start, and wait for the gate
        assert worker.room() == 1
        worker.take(await lease_kinds(db, queue, worker, ["done", "done"], prefix="more"))
        assert worker.room() == 0  # never below zero, even when given more than room
        gate.set()
        await finish(worker)
        assert worker.room() == 4
        assert await queue.depth() == {"queued": 0, "running": 1, "done": 4, "dead": 0}

    run_worker(database_url, scenario, concurrency=4, taken_limit=4)


def test_the_claim_loop_waits_while_taken_jobs_fill_its_concurrency(database_url: str) -> None:
    """A burst of jobs leased at intake may exceed `concurrency` (up to `taken_limit`);
    the claim loop then claims nothing until fewer than `concurrency` jobs run."""

    async def scenario(
        db: Database, queue: JobQueue, clock: FakeClock, worker: JobWorker, gate: asyncio.Event
    ) -> None:
        worker.take(await lease_kinds(db, queue, worker, ["done"] * 5))
        assert worker.room() == 1  # taken_limit 6
        async with db.transaction() as conn:
            await queue.enqueue_many(conn, [NewJob("done", {"n": n}) for n in range(3)])
        worker.start()  # the claim loop: concurrency 2, five running
        await asyncio.sleep(0.3)
        assert (await queue.depth())["queued"] == 3
        gate.set()
        for _ in range(200):
            if (await queue.depth())["done"] == 8:
                break
            await asyncio.sleep(0.05)
        assert await queue.depth() == {"queued": 0, "running": 0, "done": 8, "dead": 0}

    run_worker(database_url, scenario, concurrency=2, taken_limit=6)


def test_take_does_not_settle_a_job_leased_to_another_worker(database_url: str) -> None:
    async def scenario(
        db: Database, queue: JobQueue, clock: FakeClock, worker: JobWorker, gate: asyncio.Event
    ) -> None:
        [job] = await lease(db, queue, ["k1"], worker="someone-else")
        worker.take([replace(job, kind="done")])
        gate.set()
        await finish(worker)
        assert await queue.get(job.id) == job  # the lease holder's to settle

    run_worker(database_url, scenario)
