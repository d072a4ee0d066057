"""Job queue throughput: enqueue and claim+complete on SQLite and PostgreSQL.

Run from the repository root:

    .venv/bin/python bench/job_queue.py            # SQLite; PostgreSQL too when a URL is set
    .venv/bin/python bench/job_queue.py --quick    # 2,000 jobs / 2 s per cell

PostgreSQL runs when KODEORD_BENCH_POSTGRES_URL (or KODEORD_TEST_POSTGRES_URL) names a
server: a throwaway database is created there, migrated, and dropped afterwards. SQLite
uses a temporary file (WAL, synchronous=FULL: every commit is durable).

Cells, each ending after `--jobs` jobs or `--seconds`, whichever comes first:
- enqueue, one transaction per job (`Database.transaction()`, one caller);
- enqueue, 1,000 `enqueue()` calls per transaction, and `enqueue_many` of 1,000;
- enqueue through `Database.write` from 100 concurrent callers, one job each call and
  every caller awaiting its commit (group commit on SQLite, a transaction each on
  PostgreSQL);
- claim + complete with 4 workers claiming 1 or 50 jobs at a time, from a backlog loaded
  beforehand (not timed), settling each claim with one `complete_many`, or with one
  concurrent `complete()` per job as `app/worker.py` does.
All in one process and one event loop, so the figures include Python's share of a core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from kodeord.adapters.db import migrate
from kodeord.adapters.db.engine import Database
from kodeord.adapters.queue import Job, JobQueue, NewJob
from kodeord.adapters.queue.schema import jobs

PAYLOAD = {"message_id": 123456, "kind": "webhook", "url": "https://example.test/hook"}
BATCH = 1_000
CALLERS = 100
WORKERS = 4


@dataclass(frozen=True)
class Limits:
    jobs: int
    seconds: float


@dataclass(frozen=True)
class Cell:
    backend: str
    name: str
    jobs: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds if self.seconds else 0.0


Run = Callable[[Database, JobQueue, Limits], Awaitable[int]]
Settle = Callable[[JobQueue, list[Job], str], Awaitable[int]]


class Budget:
    """Shared by the callers of one cell: hands out jobs until the count or time is up."""

    def __init__(self, limits: Limits) -> None:
        self.left = limits.jobs
        self.deadline = time.monotonic() + limits.seconds

    def take(self, wanted: int) -> int:
        if time.monotonic() >= self.deadline:
            return 0
        granted = min(wanted, self.left)
        self.left -= granted
        return granted


async def enqueue_one_per_transaction(db: Database, queue: JobQueue, limits: Limits) -> int:
    budget, done = Budget(limits), 0
    while budget.take(1):
        async with db.transaction() as conn:
            await queue.enqueue(conn, "bench", PAYLOAD)
        done += 1
    return done


async def enqueue_calls_per_transaction(db: Database, queue: JobQueue, limits: Limits) -> int:
    budget, done = Budget(limits), 0
    while size := budget.take(BATCH):
        async with db.transaction() as conn:
            for _ in range(size):
                await queue.enqueue(conn, "bench", PAYLOAD)
        done += size
    return done


async def enqueue_many_per_transaction(db: Database, queue: JobQueue, limits: Limits) -> int:
    budget, done = Budget(limits), 0
    while size := budget.take(BATCH):
        async with db.transaction() as conn:
            await queue.enqueue_many(conn, [NewJob("bench", PAYLOAD)] * size)
        done += size
    return done


async def enqueue_through_write(db: Database, queue: JobQueue, limits: Limits) -> int:
    budget = Budget(limits)

    async def caller() -> int:
        done = 0
        while budget.take(1):
            await db.write(lambda conn: queue.enqueue(conn, "bench", PAYLOAD))
            done += 1
        return done

    return sum(await asyncio.gather(*(caller() for _ in range(CALLERS))))


async def load_backlog(db: Database, queue: JobQueue, limits: Limits) -> int:
    async with db.transaction() as conn:
        for start in range(0, limits.jobs, BATCH):
            size = min(BATCH, limits.jobs - start)
            await queue.enqueue_many(conn, [NewJob("bench", PAYLOAD)] * size)
    return limits.jobs


async def complete_each(queue: JobQueue, jobs: list[Job], worker: str) -> int:
    """As a worker that runs its jobs concurrently settles them: one call per job."""
    done = await asyncio.gather(*(queue.complete(job.id, worker=worker) for job in jobs))
    return sum(done)


async def complete_together(queue: JobQueue, jobs: list[Job], worker: str) -> int:
    return await queue.complete_many([job.id for job in jobs], worker=worker)


def claim_and_complete(batch: int, complete: Settle = complete_together) -> Run:
    async def run(db: Database, queue: JobQueue, limits: Limits) -> int:
        deadline = time.monotonic() + limits.seconds

        async def worker(name: str) -> int:
            done = 0
            while time.monotonic() < deadline:
                claimed = await queue.claim(["bench"], batch, 60, name)
                if not claimed:
                    break
                done += await complete(queue, claimed, name)
            return done

        return sum(await asyncio.gather(*(worker(f"w{i}") for i in range(WORKERS))))

    return run


CELLS: list[tuple[str, Run | None, Run]] = [
    # name, untimed preparation, timed run
    ("enqueue, 1 per transaction", None, enqueue_one_per_transaction),
    (f"enqueue, {BATCH:,} calls per transaction", None, enqueue_calls_per_transaction),
    (f"enqueue_many, {BATCH:,} per transaction", None, enqueue_many_per_transaction),
    (f"Database.write, {CALLERS} callers", None, enqueue_through_write),
    (f"claim 1 + complete, {WORKERS} workers", load_backlog, claim_and_complete(1)),
    (f"claim 50 + complete_many, {WORKERS} workers", load_backlog, claim_and_complete(50)),
    (
        f"claim 50 + complete each, {WORKERS} workers",
        load_backlog,
        claim_and_complete(50, complete_each),
    ),
]


async def measure(backend: str, url: str, limits: Limits) -> list[Cell]:
    cells = []
    db = Database(url)
    queue = JobQueue(db)
    try:
        for name, prepare, run in CELLS:
            async with db.transaction() as conn:
                await conn.execute(delete(jobs))
            if prepare is not None:
                await prepare(db, queue, limits)
            started = time.monotonic()
            done = await run(db, queue, limits)
            cells.append(Cell(backend, name, done, time.monotonic() - started))
            print(f"  {backend:10} {name:40} {cells[-1].rate:>10,.0f} jobs/s", flush=True)
    finally:
        await queue.stop()
        await db.close()
    return cells


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="kodeord-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'queue.db'}"
        migrate.upgrade(url)
        yield url


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    name = f"kodeord_bench_{uuid.uuid4().hex[:12]}"
    server = make_url(server_url).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def print_table(cells: list[Cell]) -> None:
    print()
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores,")
    print(f"SQLite {sqlite3.sqlite_version}; durable commits (synchronous=FULL / fsync)")
    print(f"{'backend':10} {'cell':44} {'jobs':>8} {'seconds':>8} {'jobs/s':>10}")
    for cell in cells:
        print(
            f"{cell.backend:10} {cell.name:44} {cell.jobs:>8,} {cell.seconds:>8.2f}"
            f" {cell.rate:>10,.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--jobs", type=int, default=20_000, help="jobs per cell at most")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per cell at most")
    parser.add_argument("--quick", action="store_true", help="2,000 jobs / 2 s per cell")
    args = parser.parse_args()
    limits = Limits(2_000, 2.0) if args.quick else Limits(args.jobs, args.seconds)
    cells: list[Cell] = []
    with sqlite_database() as url:
        cells += asyncio.run(measure("sqlite", url, limits))
    server = os.environ.get("KODEORD_BENCH_POSTGRES_URL") or os.environ.get(
        "KODEORD_TEST_POSTGRES_URL"
    )
    if server:
        with postgres_database(server) as url:
            cells += asyncio.run(measure("postgresql", url, limits))
    print_table(cells)


if __name__ == "__main__":
    main()
