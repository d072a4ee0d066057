"""Database connections: URL translation, SQLite pragmas, and the unit of work.

Users write plain URLs (`sqlite:///var/kodeord.db`, `postgresql://user@host/db`); we
pick the drivers: sqlite3 run inline on the loop's thread (`sqlite_inline.py`) / psycopg 3
(async) at run time, sqlite3 / psycopg 3 (sync) for Alembic. Every SQLite connection
gets WAL, foreign keys and a busy timeout that waits without blocking the loop.

SQLite transactions that write begin with `BEGIN IMMEDIATE`: a deferred transaction
that reads and then writes can fail at once with "database is locked" when another
writer got there first, and busy_timeout does not cover that lock upgrade (NOTES.md).
Reads use a second engine with plain deferred `BEGIN`, so they never queue behind writers.
Commits happen only here, when the `transaction()` block ends without an exception,
or when a `write(fn)` returns: on SQLite those go through one `GroupCommitWriter` per
Database (many callers share one durable commit); on PostgreSQL each is a transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from kodeord.adapters.db import sqlite_inline
from kodeord.adapters.db.writer import GroupCommitWriter

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_WRITE_CONCURRENCY = 4


class DatabaseUrlError(ValueError):
    """The database URL names no database we support."""


@dataclass(frozen=True, slots=True)
class DatabaseUrls:
    runtime: str  # async driver
    migrations: str  # sync driver
    is_sqlite: bool


def database_urls(url: str) -> DatabaseUrls:
    """Map a user's database URL to our async and sync driver URLs."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a message we reuse
        raise DatabaseUrlError(f"not a database URL: {url!r} ({exc})") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return DatabaseUrls(
            parsed.set(drivername=sqlite_inline.DRIVERNAME).render_as_string(hide_password=False),
            parsed.set(drivername="sqlite").render_as_string(hide_password=False),
            True,
        )
    if backend in ("postgresql", "postgres"):
        psycopg = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return DatabaseUrls(psycopg, psycopg, False)
    raise DatabaseUrlError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level: we emit BEGIN ourselves (see the module docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_engine(url: str, begin: str) -> AsyncEngine:
    busy = {"busy_timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}  # waited out by sqlite_inline
    engine = create_async_engine(url, connect_args=busy)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """The gateway's database: `transaction()` to write, `read()` to look."""

    def __init__(self, url: str) -> None:
        self.urls = database_urls(url)
        if self.urls.is_sqlite:
            self._writer = _sqlite_engine(self.urls.runtime, "BEGIN IMMEDIATE")
            self._reader = _sqlite_engine(self.urls.runtime, "BEGIN")
        else:
            self._writer = create_async_engine(self.urls.runtime, pool_size=10)
            self._reader = self._writer
        self._group_writer: GroupCommitWriter | None = None

    @property
    def dialect(self) -> str:
        return self._writer.dialect.name

    @property
    def write_concurrency(self) -> int:
        """How many batched writes are worth running at once: SQLite has one writer (the
        group-commit writer merges what arrives), PostgreSQL runs transactions side by
        side while each waits for its round trips."""
        return 1 if self.urls.is_sqlite else POSTGRES_WRITE_CONCURRENCY

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A unit of work: commits when the block ends, rolls back on an exception."""
        async with self._writer.begin() as conn:
            yield conn

    async def start(self) -> None:
        """Start the SQLite group-commit writer now rather than on the first `write()`."""
        self._group_commit_writer()

    async def write(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `fn(conn)` as a unit of work; its result once it is durably committed.

        SQLite: through the group-commit writer, `fn` in its own SAVEPOINT of a shared
        transaction (see `writer.py`). PostgreSQL: a transaction of its own. Either way an
        exception from `fn` rolls back only `fn`'s work and reaches the caller. `fn` must
        only run SQL: no network calls or sleeps while it holds the write lock.
        """
        writer = self._group_commit_writer()
        if writer is not None:
            return await writer.run(fn)
        async with self.transaction() as conn:
            return await fn(conn)

    async def stop(self) -> None:
        """Stop background work: the SQLite writer commits what it holds, then ends.

        A later `write()` starts a new writer; `close()` stops it too.
        """
        writer, self._group_writer = self._group_writer, None
        if writer is not None:
            await writer.stop()

    def _group_commit_writer(self) -> GroupCommitWriter | None:
        if self.urls.is_sqlite and self._group_writer is None:
            self._group_writer = GroupCommitWriter(self._writer)
            self._group_writer.start()
        return self._group_writer

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self._reader.connect() as conn:
            yield conn

    async def ping(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            async with self._reader.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
        except Exception:  # any driver error means "not healthy"; the reason is logged there
            return False
        return True

    async def close(self) -> None:
        await self.stop()
        await self._writer.dispose()
        if self._reader is not self._writer:
            await self._reader.dispose()
