"""Waking idle workers when jobs are committed: in-process signals and PostgreSQL NOTIFY.

Two paths, both best effort — workers also poll, so a lost wake-up costs latency, never a
job:
- In this process (both backends): `mark_enqueued(conn, events)` notes on the connection
  that its transaction enqueued jobs; engine listeners set those asyncio events when that
  transaction commits and forget them when it rolls back. SQLAlchemy fires its commit event
  just before the COMMIT itself, so a woken worker may claim before the commit is visible:
  on SQLite its claim waits for the write lock the committing transaction holds; on
  PostgreSQL the NOTIFY below arrives after the commit and wakes it again.
- Across processes (PostgreSQL): the first enqueue of a transaction sends
  `NOTIFY kodeord_jobs`, which PostgreSQL delivers on commit (and drops on rollback);
  `PostgresListener` holds one autocommit psycopg connection in `LISTEN kodeord_jobs` and
  reconnects after errors. If a savepoint holding the NOTIFY rolls back, the next enqueue
  of the transaction sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import structlog
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.cancel import raise_if_cancelling

log = structlog.get_logger(__name__)

CHANNEL = "kodeord_jobs"
_PENDING = "kodeord.queue.enqueued"  # key in the DBAPI connection's info dict
RECONNECT_PAUSE = 1.0  # seconds after losing the connection; doubled while it fails
MAX_RECONNECT_PAUSE = 30.0
CONNECT_TIMEOUT = 10


@dataclass(slots=True)
class _Pending:
    """What the open transaction of one connection owes when it commits."""

    events: set[asyncio.Event] = field(default_factory=set)
    notified: bool = False


async def mark_enqueued(conn: AsyncConnection, events: set[asyncio.Event]) -> None:
    """Record that conn's transaction enqueued jobs: wake `events` (and, on PostgreSQL,
    other processes) once it commits."""
    pending = conn.info.get(_PENDING)
    if pending is None:
        _listen_for_commits(conn.sync_engine)
        pending = conn.info[_PENDING] = _Pending()
    pending.events |= events
    if conn.dialect.name == "postgresql" and not pending.notified:
        await conn.execute(text(f"NOTIFY {CHANNEL}"))
        pending.notified = True


def _listen_for_commits(engine: Engine) -> None:
    if not event.contains(engine, "commit", _on_commit):
        event.listen(engine, "commit", _on_commit)
        event.listen(engine, "rollback", _on_rollback)
        event.listen(engine, "rollback_savepoint", _on_rollback_savepoint)


def _on_commit(conn: Connection) -> None:
    pending: _Pending | None = conn.info.pop(_PENDING, None)
    for wake in pending.events if pending else ():
        wake.set()


def _on_rollback(conn: Connection) -> None:
    conn.info.pop(_PENDING, None)


def _on_rollback_savepoint(conn: Connection, _name: str, _context: Any) -> None:
    pending: _Pending | None = conn.info.get(_PENDING)
    if pending is not None:
        pending.notified = False  # PostgreSQL drops a NOTIFY sent inside the savepoint


def wake_delay(now: datetime, due: datetime | None, timeout: float) -> float:
    """Seconds to sleep: until `due` (the next run_at or lease end), at most `timeout`."""
    if due is None:
        return max(timeout, 0.0)
    return min(max((due - now).total_seconds(), 0.0), timeout)


def libpq_url(sqlalchemy_url: str) -> str:
    """Our `postgresql+psycopg://…` URL as a libpq connection URI for psycopg itself."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PostgresListener:
    """One psycopg connection in `LISTEN kodeord_jobs`; calls `on_notify()` per NOTIFY.

    `start()` returns once LISTEN is in place (or failed: then it keeps retrying in the
    background, backing off to 30 s). After a reconnect it calls `on_notify()` once, for
    what it may have missed.
    """

    def __init__(self, conninfo: str, on_notify: Callable[[], None]) -> None:
        self._conninfo = conninfo
        self._on_notify = on_notify
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._listening = False

    async def start(self) -> None:
        if self._task is None:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._run(), name="kodeord-jobs-listen")
        await self._ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        first, pause = True, RECONNECT_PAUSE
        while True:
            try:
                await self._listen(announce=not first)
            except Exception as exc:  # whatever broke it, waiters poll meanwhile: retry
                raise_if_cancelling()
                log.warning("job wake-ups: no listening connection", error=str(exc), retry=pause)
            first = False
            self._ready.set()  # do not keep start() waiting on a broken server
            await asyncio.sleep(pause)
            pause = RECONNECT_PAUSE if self._listening else min(pause * 2, MAX_RECONNECT_PAUSE)

    async def _listen(self, announce: bool) -> None:
        self._listening = False
        conn = await psycopg.AsyncConnection.connect(
            self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT
        )
        try:
            await conn.execute(f"LISTEN {CHANNEL}")
            self._listening = True
            self._ready.set()
            if announce:
                self._on_notify()
            async for _notify in conn.notifies():
                self._on_notify()
        finally:
            with contextlib.suppress(psycopg.Error, OSError):
                await conn.close()
