"""complete() calls that arrive together share one write (CompletionBatcher), in memory
with a recording fake write, and through JobQueue on both backends."""

from __future__ import annotations

import asyncio

import pytest

from kodeord.adapters.db.engine import Database
from kodeord.adapters.queue import JobQueue, NewJob
from kodeord.adapters.queue.coalesce import CompletionBatcher
from tests.queue.support import FakeClock, run_with_database


class FakeStore:
    """Marks ids done once; records every write it was asked for."""

    def __init__(self, running: dict[int, str], fail: bool = False) -> None:
        self.running = running  # job id -> worker holding it
        self.fail = fail
        self.writes: list[tuple[list[int], str | None]] = []

    async def write(self, job_ids: list[int], worker: str | None) -> set[int]:
        self.writes.append((job_ids, worker))
        await asyncio.sleep(0)  # a real write yields to the loop
        if self.fail:
            raise ConnectionError("database gone")
        done = {i for i in job_ids if i in self.running and worker in (None, self.running[i])}
        for job_id in done:
            del self.running[job_id]
        return done


CASES = [
    # (job id, worker) asked together -> answers
    ([(1, "w1"), (2, "w1"), (3, "w1")], [True, True, True]),
    ([(1, "w1"), (1, "w1")], [True, False]),  # a repeated id is settled once
    ([(1, "w2"), (2, None)], [False, True]),  # the lease decides; no worker: any
    ([(9, "w1")], [False]),  # not running
]


@pytest.mark.parametrize(("calls", "answers"), CASES)
def test_answers_per_call(calls: list[tuple[int, str | None]], answers: list[bool]) -> None:
    async def scenario() -> None:
        store = FakeStore({1: "w1", 2: "w1", 3: "w1"})
        batcher = CompletionBatcher(store.write)
        got = await asyncio.gather(*(batcher.complete(i, w) for i, w in calls))
        assert got == answers
        assert len(store.writes) == len({w for _, w in calls})  # one write per worker

    asyncio.run(scenario())


def test_calls_during_a_write_form_the_next_write() -> None:
    async def scenario() -> None:
        store = FakeStore({i: "w" for i in range(10)})
        batcher = CompletionBatcher(store.write)
        first = asyncio.ensure_future(batcher.complete(0, "w"))
        await asyncio.sleep(0)  # the first write is under way
        rest = [asyncio.ensure_future(batcher.complete(i, "w")) for i in range(1, 10)]
        assert all(await asyncio.gather(first, *rest))
        assert [ids for ids, _ in store.writes] == [[0], list(range(1, 10))]

    asyncio.run(scenario())


def test_a_failed_write_fails_each_of_its_callers() -> None:
    async def scenario() -> None:
        batcher = CompletionBatcher(FakeStore({1: "w", 2: "w"}, fail=True).write)
        results = await asyncio.gather(
            batcher.complete(1, "w"), batcher.complete(2, "w"), return_exceptions=True
        )
        assert all(isinstance(result, ConnectionError) for result in results)

    asyncio.run(scenario())


def test_concurrent_completes_settle_every_job(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        queue = JobQueue(db, FakeClock())
        async with db.transaction() as conn:
            await queue.enqueue_many(conn, [NewJob("deliver", {"n": i}) for i in range(120)])
        jobs = await queue.claim(None, 120, 30, "w1")
        answers = await asyncio.gather(
            *(queue.complete(job.id, worker="w1") for job in jobs),
            queue.complete(jobs[0].id, worker="w1"),  # again: already done
        )
        assert answers == [True] * 120 + [False]
        assert await queue.depth() == {"queued": 0, "running": 0, "done": 120, "dead": 0}

    run_with_database(database_url, scenario)
