"""`SqlStorage`: the app's `Storage` port (app/ports.py) over a `Database`.

Each unit of work gets one `SqlTx` around its connection; its attributes are the
repositories (adapters/db/tx.py). Commits happen where `Database` commits them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.tx import SqlTx
from kodeord.adapters.queue.jobs import JobQueue

T = TypeVar("T")


class SqlStorage:
    """Units of work on SQLite or PostgreSQL; `queue` wakes workers for jobs enqueued."""

    def __init__(self, db: Database, queue: JobQueue) -> None:
        self.db = db
        self.queue = queue

    @property
    def write_concurrency(self) -> int:
        return self.db.write_concurrency

    @property
    def single_node(self) -> bool:
        return self.db.dialect == "sqlite"

    @property
    def backend(self) -> str:
        return self.db.dialect

    async def ping(self) -> bool:
        return await self.db.ping()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        async with self.db.transaction() as conn:
            yield SqlTx(conn, self.queue)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlTx]:
        async with self.db.read() as conn:
            yield SqlTx(conn, self.queue)

    async def write(self, fn: Callable[[SqlTx], Awaitable[T]]) -> T:
        queue = self.queue

        def unit(conn: AsyncConnection) -> Awaitable[T]:
            return fn(SqlTx(conn, queue))

        return await self.db.write(unit)
