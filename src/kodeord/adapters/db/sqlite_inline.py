"""SQLite on the event loop's own thread, behind SQLAlchemy's asyncio API.

`sqlite+inline://` is the standard-library `sqlite3` driver presented to SQLAlchemy as an
async driver. Statements run synchronously inside SQLAlchemy's greenlet, so an `await
conn.execute(...)` never leaves the thread and never waits for the event loop to come
round again. aiosqlite, the usual choice, runs every call in a thread of its own: each
statement is three or four hand-offs to that thread and back through the loop, and under
load a transaction of ten statements waited for ten loop iterations while the loop was
busy delivering webhooks. That wait, not SQLite, bounded the gateway's MO rate
(docs/benchmarks.md, "SQLite inline").

What running inline costs, and why it is acceptable here:
- The loop is blocked while SQLite works. The gateway's statements are small: a batch of
  a hundred MO is inserted in about a millisecond, and a durable commit is one fsync
  (0.13 ms on the benchmark machine; on a slow disk, correspondingly more).
- Waiting for a lock must not block the loop: the process holding it may be this one,
  between two awaits. So SQLite's own busy handler is off (`busy_timeout=0`) and a
  statement refused with SQLITE_BUSY is tried again after an asyncio sleep (1 ms,
  doubling to 50 ms) until `busy_timeout` seconds have passed, then the error is raised
  as before. A statement SQLite refused with SQLITE_BUSY did nothing, so trying it again
  is safe; SQLITE_BUSY_SNAPSHOT (a stale read transaction that tries to write) is raised
  at once, as retrying cannot help it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_, in_greenlet

T = TypeVar("T")

DRIVERNAME = "sqlite+inline"
DEFAULT_BUSY_TIMEOUT = 10.0  # seconds a statement waits for another writer's lock
_SQLITE_BUSY = 5
_SQLITE_BUSY_SNAPSHOT = 5 | (2 << 8)
_FIRST_PAUSE = 0.001
_LONGEST_PAUSE = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code: int | None = getattr(error, "sqlite_errorcode", None)
    if code is None:  # an older sqlite3 module: recognise the message
        return "database is locked" in str(error)
    return code & 0xFF == _SQLITE_BUSY and code != _SQLITE_BUSY_SNAPSHOT


def _pause(seconds: float) -> None:
    """Sleep without blocking the loop when called from SQLAlchemy's greenlet."""
    if in_greenlet():
        await_(asyncio.sleep(seconds))
    else:  # outside the async engine (a sync caller): no loop to keep running
        time.sleep(seconds)


async def _nothing() -> None:
    return None


def _retry_busy(timeout: float, fn: Callable[..., T], *args: Any) -> T:
    deadline = time.monotonic() + timeout
    pause = _FIRST_PAUSE
    while True:
        try:
            result = fn(*args)
            if in_greenlet():
                # SQLAlchemy's async layer insists that a statement awaited something;
                # an immediately finished coroutine satisfies it without a loop iteration
                await_(_nothing())
            return result
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() + pause > deadline:
                raise
        _pause(pause)
        pause = min(pause * 2, _LONGEST_PAUSE)


class InlineCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> InlineCursor:
        timeout: float = self.connection.busy_timeout  # type: ignore[attr-defined]
        _retry_busy(timeout, super().execute, sql, parameters)
        return self

    def executemany(self, sql: str, parameters: Any, /) -> InlineCursor:
        timeout: float = self.connection.busy_timeout  # type: ignore[attr-defined]
        rows = list(parameters)  # an iterator could not be read a second time
        _retry_busy(timeout, super().executemany, sql, rows)
        return self

    async def _async_soft_close(self) -> None:
        """Called by SQLAlchemy's async results after a statement; async drivers buffer
        the rows here. sqlite3 reads them on demand in this thread, so nothing to do."""


class InlineConnection(sqlite3.Connection):
    """A sqlite3 connection whose statements wait for locks without blocking the loop."""

    busy_timeout = DEFAULT_BUSY_TIMEOUT

    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.cursor().execute(sql, parameters)

    def commit(self) -> None:
        _retry_busy(self.busy_timeout, super().commit)


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """SQLAlchemy's pysqlite dialect, declared async and pooled for asyncio."""

    driver = "inline"
    is_async = True
    has_terminate = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        busy_timeout = float(cparams.pop("busy_timeout", DEFAULT_BUSY_TIMEOUT))
        cparams.update(factory=InlineConnection, check_same_thread=False, isolation_level=None)
        connection = super().connect(*cargs, **cparams)
        connection.busy_timeout = busy_timeout
        connection.execute("PRAGMA busy_timeout=0")  # we wait ourselves, see the docstring
        return connection

    def get_driver_connection(self, connection: Any) -> Any:
        return connection

    def do_terminate(self, dbapi_connection: Any) -> None:
        dbapi_connection.close()


registry.register("sqlite.inline", __name__, "InlineSQLiteDialect")
