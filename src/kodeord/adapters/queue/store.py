"""Every SQL statement of the job queue, as functions of an open connection.

The same statements serve SQLite and PostgreSQL. Claims pick rows with
`UPDATE … WHERE id IN (SELECT id … ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED) RETURNING`:
on PostgreSQL concurrent claimers skip each other's rows; SQLite drops the locking clause
and relies on its single writer instead (claims run in `BEGIN IMMEDIATE` transactions, so
one claim sees the previous one's update). Nothing here commits: the caller's unit of
work does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.queue.schema import jobs
from kodeord.app.jobs import JobStatus

Kinds = Sequence[str] | None
# For one claim's transaction (see claim_jobs). A disabled sort still costs the planner
# 1e10, which would cross jit_above_cost and compile the query (~70 ms) if JIT stayed on.
_INDEX_ORDER_ONLY = text(
    "SELECT set_config('enable_sort', 'off', true), set_config('jit', 'off', true)"
)


# Built once: constructing a statement costs about as much as running a small one.
# ON CONFLICT DO NOTHING makes a repeated dedupe_key a no-op; NULL keys never conflict.
_INSERTS = {
    "postgresql": postgresql.insert(jobs).on_conflict_do_nothing(
        index_elements=[jobs.c.dedupe_key]
    ),
    "sqlite": sqlite.insert(jobs).on_conflict_do_nothing(index_elements=[jobs.c.dedupe_key]),
}


# The same for many rows on PostgreSQL (see adapters/db/bulk.py).
_PG_SKIP = "ON CONFLICT (dedupe_key) DO NOTHING"


def new_job_values(
    kind: str,
    payload: Mapping[str, Any],
    run_at: datetime,
    dedupe_key: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "payload": dict(payload),
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "run_at": run_at,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "updated_at": now,
    }


async def insert_job(conn: AsyncConnection, values: dict[str, Any]) -> int | None:
    """Insert one job; None when its dedupe_key exists already."""
    result = await conn.execute(_INSERTS[conn.dialect.name], values)
    if result.rowcount == 0:  # SQLite, which reports the key through lastrowid
        return None
    key = result.inserted_primary_key  # PostgreSQL: through RETURNING, None when skipped
    return None if key is None else int(key[0])


async def insert_jobs(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert many jobs in one statement; the ids of those inserted (duplicates skipped)."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        added = await bulk.insert_rows_returning(conn, jobs, rows, _PG_SKIP + " RETURNING id")
        return [int(row[0]) for row in added]
    statement = _INSERTS[conn.dialect.name].returning(jobs.c.id)
    result = await conn.execute(statement, list(rows))
    return [int(found) for found in result.scalars()]


async def insert_keyed_jobs(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]]
) -> dict[str, int]:
    """Insert many jobs that all have a dedupe_key; dedupe_key → id of those inserted."""
    if not rows:
        return {}
    if conn.dialect.name == "postgresql":
        suffix = _PG_SKIP + " RETURNING dedupe_key, id"
        added = await bulk.insert_rows_returning(conn, jobs, rows, suffix)
    else:
        statement = _INSERTS[conn.dialect.name].returning(jobs.c.dedupe_key, jobs.c.id)
        added = [tuple(row) for row in (await conn.execute(statement, list(rows))).all()]
    return {str(key): int(job_id) for key, job_id in added}


def _of_kinds(query: Select[Any], kinds: Kinds) -> Select[Any]:
    return query if kinds is None else query.where(jobs.c.kind.in_(list(kinds)))


async def _claim(
    conn: AsyncConnection,
    pick: Select[Any],
    limit: int,
    values: dict[str, Any],
) -> list[Row[Any]]:
    chosen = pick.limit(limit).with_for_update(skip_locked=True)
    statement = update(jobs).where(jobs.c.id.in_(chosen)).values(**values)
    result = await conn.execute(statement.returning(*jobs.c))
    return list(result.all())


async def claim_jobs(
    conn: AsyncConnection,
    kinds: Kinds,
    limit: int,
    *,
    worker: str,
    now: datetime,
    lease_until: datetime,
) -> list[Row[Any]]:
    """Lease up to `limit` jobs: first those whose lease expired, then queued ones due.

    Two statements rather than one with OR, so that neither sorts the backlog: expired
    leases are few (only running jobs) and taken in any order; queued jobs are read from
    the (status, run_at) index in order, stopping after `limit` rows. On PostgreSQL
    sorting is switched off for the claim's transaction: with statistics from when the
    table was small (a burst after a quiet spell) the planner would otherwise sort the
    whole backlog on every claim (25 ms per claim at 100,000 queued jobs, against 0.5 ms).
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(_INDEX_ORDER_ONLY)
    values = {
        "status": JobStatus.RUNNING.value,
        "attempts": jobs.c.attempts + 1,
        "lease_until": lease_until,
        "leased_by": worker,
        "updated_at": now,
    }
    expired = select(jobs.c.id).where(
        jobs.c.status == JobStatus.RUNNING.value, jobs.c.lease_until <= now
    )
    rows = await _claim(conn, _of_kinds(expired, kinds), limit, values)  # few, any order
    if len(rows) < limit:
        due = select(jobs.c.id).where(jobs.c.status == JobStatus.QUEUED.value, jobs.c.run_at <= now)
        more = _of_kinds(due, kinds).order_by(jobs.c.run_at)
        rows += await _claim(conn, more, limit - len(rows), values)
    return sorted(rows, key=lambda row: (row.run_at, row.id))


def _settle_statement(by_worker: bool) -> Any:
    condition = [
        jobs.c.id.in_(bindparam("job_ids", expanding=True)),
        jobs.c.status == JobStatus.RUNNING.value,
    ]
    if by_worker:
        condition.append(jobs.c.leased_by == bindparam("worker"))
    return update(jobs).where(*condition).returning(jobs.c.id)


# Built once, for the statement cache: settling is the queue's most frequent write.
_SETTLE = {by_worker: _settle_statement(by_worker) for by_worker in (False, True)}


async def settle_jobs(
    conn: AsyncConnection,
    job_ids: Sequence[int],
    worker: str | None,
    values: dict[str, Any],
) -> set[int]:
    """End the leases of running jobs (held by `worker`, when given); the ids that were."""
    statement = _SETTLE[worker is not None].values(lease_until=None, **values)
    params: dict[str, Any] = {"job_ids": list(job_ids)}
    if worker is not None:
        params["worker"] = worker
    return {int(job_id) for job_id in await conn.scalars(statement, params)}


async def withdraw_unclaimed(
    conn: AsyncConnection, dedupe_key: str, now: datetime, note: str
) -> bool:
    """Settle the job with this key as done if no worker ever claimed it (queued, no
    attempt); whether it was such a job. A claim and this are updates of the same row
    on the same condition (queued), so exactly one of them wins."""
    result = await conn.execute(
        update(jobs)
        .where(
            jobs.c.dedupe_key == dedupe_key,
            jobs.c.status == JobStatus.QUEUED.value,
            jobs.c.attempts == 0,
        )
        .values(status=JobStatus.DONE.value, last_error=note, updated_at=now)
    )
    return result.rowcount > 0


async def release_running(conn: AsyncConnection, now: datetime) -> int:
    """Every running job back to queued, its lease ended (see JobQueue.release_running)."""
    result = await conn.execute(
        update(jobs)
        .where(jobs.c.status == JobStatus.RUNNING.value)
        .values(status=JobStatus.QUEUED.value, lease_until=None, run_at=now, updated_at=now)
    )
    return result.rowcount


async def replay_dead(conn: AsyncConnection, job_id: int | None, now: datetime) -> int:
    """Dead jobs (one, or all when job_id is None) back to the queue, due now."""
    statement = update(jobs).where(jobs.c.status == JobStatus.DEAD.value)
    if job_id is not None:
        statement = statement.where(jobs.c.id == job_id)
    values = {"status": JobStatus.QUEUED.value, "run_at": now, "attempts": 0, "updated_at": now}
    return (await conn.execute(statement.values(lease_until=None, **values))).rowcount


async def list_jobs(
    conn: AsyncConnection, status: JobStatus, limit: int, offset: int
) -> list[Row[Any]]:
    query = select(jobs).where(jobs.c.status == status.value).order_by(jobs.c.id.desc())
    return list((await conn.execute(query.limit(limit).offset(offset))).all())


async def get_job(conn: AsyncConnection, job_id: int) -> Row[Any] | None:
    return (await conn.execute(select(jobs).where(jobs.c.id == job_id))).one_or_none()


async def count_by_status(conn: AsyncConnection) -> dict[str, int]:
    query = select(jobs.c.status, func.count()).group_by(jobs.c.status)
    return {status: int(count) for status, count in (await conn.execute(query)).all()}


async def delete_done(conn: AsyncConnection, older_than: datetime) -> int:
    statement = delete(jobs).where(
        jobs.c.status == JobStatus.DONE.value, jobs.c.updated_at < older_than
    )
    return (await conn.execute(statement)).rowcount


async def next_due(conn: AsyncConnection, kinds: Kinds) -> datetime | None:
    """The earliest moment a job may become claimable: a run_at or a lease's end."""
    queued = select(func.min(jobs.c.run_at)).where(jobs.c.status == JobStatus.QUEUED.value)
    leased = select(func.min(jobs.c.lease_until)).where(jobs.c.status == JobStatus.RUNNING.value)
    found = [await conn.scalar(_of_kinds(query, kinds)) for query in (queued, leased)]
    moments = [moment for moment in found if moment is not None]
    return min(moments, default=None)
