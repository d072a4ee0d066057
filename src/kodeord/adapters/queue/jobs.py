"""The durable job queue: one interface over the `jobs` table for SQLite and PostgreSQL.

Rules:
- Enqueue joins the caller's transaction (`enqueue(conn, …)`), so a message and the job
  that delivers it commit together or not at all (store before acknowledge).
- Delivery is at least once. A claim leases jobs to a worker for `lease_seconds` and counts
  an attempt; a worker that dies leaves its jobs to be claimed again once the lease ends.
  `complete`/`retry`/`bury` apply only to a job still running (and, given `worker=`, still
  leased by that worker) and say whether they did.
- How many attempts, or how long, a job deserves is the caller's policy: `Job.attempts`
  and `Job.created_at` are there to decide with.
- Writes go through `Database.write`: on SQLite that is the single group-commit writer,
  which also keeps two claimers from ever leasing one job; on PostgreSQL each is a
  transaction and claims use FOR UPDATE SKIP LOCKED. Only waking differs (see wakeup.py).
- Time comes from the `clock` given (UTC); nothing here reads the wall clock itself.
- `JobQueue` is the app's `WorkerQueue` port (app/ports.py: claim, complete, retry, bury,
  wait) for the job worker; inside a unit of work the app enqueues through `tx.jobs`
  (adapters/db/tx.py JobRepository), never through this class.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Row
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.cancel import raise_if_cancelling
from kodeord.adapters.db.engine import Database
from kodeord.adapters.queue import store
from kodeord.adapters.queue.coalesce import CompletionBatcher
from kodeord.adapters.queue.wakeup import PostgresListener, libpq_url, mark_enqueued, wake_delay
from kodeord.app.jobs import Job, JobStatus, NewJob

log = structlog.get_logger(__name__)

MAX_ERROR_LENGTH = 4000
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def job_from_row(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        payload=row.payload,
        attempts=row.attempts,
        run_at=row.run_at,
        created_at=row.created_at,
        last_error=row.last_error,
        status=JobStatus(row.status),
        leased_by=row.leased_by,
        lease_until=row.lease_until,
        dedupe_key=row.dedupe_key,
        updated_at=row.updated_at,
    )


# Every queue of a Database, so an enqueue through one wakes the workers of all.
_queues: weakref.WeakKeyDictionary[Database, weakref.WeakSet[JobQueue]] = (
    weakref.WeakKeyDictionary()
)


class JobQueue:
    """Enqueue in the caller's transaction; claim, settle, wait and administer jobs."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self._db = db
        self._clock = clock
        self._wake = asyncio.Event()
        self._listener: PostgresListener | None = None
        self._completions = CompletionBatcher(self._complete)
        _queues.setdefault(db, weakref.WeakSet()).add(self)

    # --- producing ------------------------------------------------------------------

    async def enqueue(
        self,
        conn: AsyncConnection,
        kind: str,
        payload: Mapping[str, Any],
        *,
        run_at: datetime | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Add a job in conn's open transaction; its id, or None if dedupe_key exists."""
        now = self._clock()
        values = store.new_job_values(kind, payload, run_at or now, dedupe_key, now)
        job_id = await store.insert_job(conn, values)
        if job_id is not None:
            await mark_enqueued(conn, self._wake_events())
        return job_id

    async def enqueue_many(self, conn: AsyncConnection, new_jobs: Sequence[NewJob]) -> list[int]:
        """Add many jobs in one statement; the ids of those added (duplicate keys skipped)."""
        now = self._clock()
        rows = [
            store.new_job_values(j.kind, j.payload, j.run_at or now, j.dedupe_key, now)
            for j in new_jobs
        ]
        ids = await store.insert_jobs(conn, rows)
        if ids:
            await mark_enqueued(conn, self._wake_events())
        return ids

    async def enqueue_leased(
        self,
        conn: AsyncConnection,
        new_jobs: Sequence[NewJob],
        worker: str,
        lease_seconds: float,
    ) -> list[Job]:
        """Add jobs already claimed by `worker` (running, first attempt, leased), for a
        producer that runs them itself right after its commit: no claim, no wake-up. If
        that worker dies they are claimed again when the lease ends, like any claim.
        Every job needs a dedupe_key (the returned jobs are matched by it); those whose
        key exists already are skipped."""
        if any(j.dedupe_key is None for j in new_jobs):
            raise ValueError("enqueue_leased needs a dedupe_key on every job")
        now = self._clock()
        lease_until = now + timedelta(seconds=lease_seconds)
        rows = []
        for j in new_jobs:
            values = store.new_job_values(j.kind, j.payload, j.run_at or now, j.dedupe_key, now)
            values.update(
                status=JobStatus.RUNNING.value,
                attempts=1,
                leased_by=worker,
                lease_until=lease_until,
            )
            rows.append(values)
        added = await store.insert_keyed_jobs(conn, rows)
        # pop: a key given twice is stored (and returned) once, from its first row
        return [
            Job(
                id=added.pop(row["dedupe_key"]),
                kind=row["kind"],
                payload=row["payload"],
                attempts=1,
                run_at=row["run_at"],
                created_at=now,
                last_error=None,
                leased_by=worker,
                lease_until=lease_until,
                dedupe_key=row["dedupe_key"],
                updated_at=now,
            )
            for row in rows
            if row["dedupe_key"] in added
        ]

    async def withdraw(self, conn: AsyncConnection, dedupe_key: str, note: str) -> bool:
        """In conn's transaction: take back the job with this key if it never ran (it
        ends done, with `note`); whether it could be (False: claimed, tried or gone)."""
        return await store.withdraw_unclaimed(conn, dedupe_key, self._clock(), note)

    def _wake_events(self) -> set[asyncio.Event]:
        return {queue._wake for queue in _queues.get(self._db, ())}

    # --- consuming ------------------------------------------------------------------

    async def claim(
        self, kinds: Sequence[str] | None, limit: int, lease_seconds: float, worker: str
    ) -> list[Job]:
        """Lease up to `limit` due jobs (of `kinds`, or any) to `worker`, attempts + 1."""
        if limit < 1 or (kinds is not None and not kinds):
            return []
        now = self._clock()
        lease_until = now + timedelta(seconds=lease_seconds)

        async def claim(conn: AsyncConnection) -> list[Row[Any]]:
            return await store.claim_jobs(
                conn, kinds, limit, worker=worker, now=now, lease_until=lease_until
            )

        return [job_from_row(row) for row in await self._db.write(claim)]

    async def complete(self, job_id: int, *, worker: str | None = None) -> bool:
        """Mark a running job done (with other completions that arrive meanwhile)."""
        return await self._completions.complete(job_id, worker)

    async def complete_many(self, job_ids: Sequence[int], *, worker: str | None = None) -> int:
        """Mark running jobs done in one statement; how many were."""
        return len(await self._complete(list(job_ids), worker))

    async def complete_in(
        self, conn: AsyncConnection, job_ids: Sequence[int], *, worker: str | None = None
    ) -> set[int]:
        """Mark running jobs done inside the caller's transaction (with the work they
        did); the ids that were."""
        values = {"status": JobStatus.DONE.value, "updated_at": self._clock()}
        return await store.settle_jobs(conn, list(job_ids), worker, values)

    async def _complete(self, job_ids: list[int], worker: str | None) -> set[int]:
        if not job_ids:
            return set()
        return await self._settle(job_ids, worker, status=JobStatus.DONE.value)

    async def retry(
        self, job_id: int, run_at: datetime, error: str, *, worker: str | None = None
    ) -> bool:
        """Put a running job back in the queue, due at `run_at`, noting the error."""
        settled = await self._settle(
            [job_id], worker, status=JobStatus.QUEUED.value, run_at=run_at, last_error=_cut(error)
        )
        return bool(settled)

    async def bury(self, job_id: int, error: str, *, worker: str | None = None) -> bool:
        """Give up on a running job: dead until an operator replays it."""
        settled = await self._settle(
            [job_id], worker, status=JobStatus.DEAD.value, last_error=_cut(error)
        )
        return bool(settled)

    async def _settle(self, job_ids: Sequence[int], worker: str | None, **values: Any) -> set[int]:
        values["updated_at"] = self._clock()
        return await self._db.write(
            lambda conn: store.settle_jobs(conn, list(job_ids), worker, values)
        )

    # --- waiting --------------------------------------------------------------------

    async def start(self) -> None:
        """Listen for other processes' jobs now (PostgreSQL) rather than on first wait()."""
        if self._db.dialect == "postgresql" and self._listener is None:
            self._listener = PostgresListener(libpq_url(self._db.urls.runtime), self._wake.set)
            await self._listener.start()

    async def stop(self) -> None:
        """Stop listening; the queue can still be used, but waits only poll."""
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None

    async def wait(self, timeout: float, kinds: Sequence[str] | None = None) -> bool:
        """Sleep until jobs may be claimable: an enqueue committed (this process, or any
        on PostgreSQL), the earliest run_at or lease end, or `timeout` seconds.

        True when woken by a commit or a due job, False on the timeout. Returns at once
        when a wake-up came since the previous wait() returned, so a worker that claims,
        finds nothing and then waits cannot miss a job committed in between.
        """
        await self.start()
        woken = self._wake.is_set()
        if not woken:
            delay = wake_delay(self._clock(), await self._next_due(kinds), timeout)
            woken = delay < timeout
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        woken = await self._wake.wait()
        self._wake.clear()
        return woken

    async def _next_due(self, kinds: Sequence[str] | None) -> datetime | None:
        try:
            async with self._db.read() as conn:
                return await store.next_due(conn, kinds)
        except (SQLAlchemyError, OSError) as exc:  # poll on the timeout; claim will report it
            raise_if_cancelling()  # a cancel during the read can surface as this error
            log.warning("job queue: could not read the next due time", error=str(exc))
            return None

    # --- administration -------------------------------------------------------------

    async def get(self, job_id: int) -> Job | None:
        async with self._db.read() as conn:
            row = await store.get_job(conn, job_id)
        return None if row is None else job_from_row(row)

    async def list_dead(self, limit: int = 100, offset: int = 0) -> list[Job]:
        """Dead jobs, newest first."""
        async with self._db.read() as conn:
            rows = await store.list_jobs(conn, JobStatus.DEAD, limit, offset)
        return [job_from_row(row) for row in rows]

    async def replay(self, job_id: int) -> bool:
        """A dead job back to the queue: due now, attempts from 0, last_error kept."""
        return await self._replay(job_id) == 1

    async def replay_all(self) -> int:
        """Every dead job back to the queue; how many."""
        return await self._replay(None)

    async def _replay(self, job_id: int | None) -> int:
        now = self._clock()

        async def replay(conn: AsyncConnection) -> int:
            replayed = await store.replay_dead(conn, job_id, now)
            if replayed:
                await mark_enqueued(conn, self._wake_events())
            return replayed

        return await self._db.write(replay)

    async def release_running(self) -> int:
        """Hand every leased job back at once. Only for a process that knows it is the
        only worker on this database (the embedded SQLite gateway, at start): the jobs a
        killed predecessor held then run now instead of when their leases expire."""
        now = self._clock()
        return await self._db.write(lambda conn: store.release_running(conn, now))

    async def depth(self) -> dict[str, int]:
        """How many jobs are in each status (all four always present)."""
        async with self._db.read() as conn:
            counts = await store.count_by_status(conn)
        return {status.value: counts.get(status.value, 0) for status in JobStatus}

    async def purge_done(self, older_than: datetime) -> int:
        """Delete done jobs last updated before `older_than`; how many."""
        return await self._db.write(lambda conn: store.delete_done(conn, older_than))


def _cut(error: str) -> str:
    return error if len(error) <= MAX_ERROR_LENGTH else error[: MAX_ERROR_LENGTH - 1] + "…"
