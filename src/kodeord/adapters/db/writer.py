"""Group commit for SQLite: one writer task commits many callers' units of work at once.

SQLite has a single write lock per database and every durable commit costs an fsync
(`synchronous=FULL`), so one transaction per caller tops out at a few thousand commits a
second (NOTES.md: 630–3,200 rows/s). The `GroupCommitWriter` is the one task per process
that writes through it: callers hand it a function of a connection; it runs up to
`max_batch` of them, one after another, in one `BEGIN IMMEDIATE` transaction, each inside
its own SAVEPOINT, commits once, and only then answers each caller with its function's
result. Work that arrives while a batch commits forms the next batch, so batches grow
with the load and a lone caller waits for nobody.

What it costs: SQLite runs inline on the loop's thread (`sqlite_inline.py`), so a
statement costs SQLAlchemy's work plus SQLite's, with no hand-off to another thread.
Savepoints go to the driver directly (SQLAlchemy's `begin_nested()` costs several times
the statement), and a batch of one runs without a savepoint.

Rules:
- A function that raises is rolled back to its savepoint (alone in its batch: the whole
  transaction): its caller gets the exception, the rest of the batch commits. When the
  commit itself fails, nothing of the batch is stored and every caller gets that error.
- `run()` returns only after the COMMIT: the work is durable when the caller resumes.
- Functions run inside the writer while it holds the write lock: they only run SQL on the
  connection they are given (no network, no sleeping), never commit or roll it back
  themselves, and return plain values (not an unconsumed Result).
- A caller cancelled while waiting may still have its work committed.
- `stop()` finishes the work queued before it; `run()` after `stop()` raises WriterStopped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")
Work = Callable[[AsyncConnection], Awaitable[T]]

DEFAULT_MAX_BATCH = 256
_SAVEPOINT = "kodeord_unit"


class WriterStopped(RuntimeError):
    """The writer was stopped (or cancelled) before this work could run."""


@dataclass(slots=True)
class _Request:
    fn: Work[Any]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Outcome:
    value: Any = None
    error: Exception | None = None


class GroupCommitWriter:
    """The single writer of one SQLite engine; see the module docstring for its rules."""

    def __init__(self, engine: AsyncEngine, *, max_batch: int = DEFAULT_MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.max_batch = max_batch
        self.commits = 0  # transactions committed, for tests and metrics
        self.units = 0  # functions whose work was committed
        self._engine = engine
        self._queue: asyncio.Queue[_Request | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the writer task in the running loop (again, a no-op)."""
        if self._stopped:
            raise WriterStopped("the writer was stopped")
        if self._task is None:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._loop(), name="kodeord-group-commit")

    async def run(self, fn: Work[T]) -> T:
        """Run `fn` in the next batch; its result once the batch has committed."""
        self.start()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Request(fn, future))
        return await future

    async def stop(self) -> None:
        """Commit what is queued, then end the writer task."""
        if self._stopped:
            return
        self._stopped = True
        if self._task is None:
            return
        self._queue.put_nowait(None)
        await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        try:
            stop = False
            while not stop:
                batch, stop = await self._next_batch()
                if batch:
                    await self._commit(batch)
        finally:
            self._stopped = True
            self._fail_queued()

    async def _next_batch(self) -> tuple[list[_Request], bool]:
        """Wait for one request, then take what else is queued, up to max_batch."""
        first = await self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < self.max_batch and not self._queue.empty():
            request = self._queue.get_nowait()
            if request is None:
                return batch, True
            batch.append(request)
        return batch, False

    async def _commit(self, batch: list[_Request]) -> None:
        outcomes: list[_Outcome] = []
        try:
            async with self._engine.begin() as conn:
                if len(batch) == 1:  # alone, it needs no savepoint: its error rolls back all
                    outcomes.append(_Outcome(value=await batch[0].fn(conn)))
                else:
                    driver = (await conn.get_raw_connection()).driver_connection
                    assert driver is not None
                    for request in batch:
                        outcomes.append(await _run_in_savepoint(conn, driver, request.fn))
        except BaseException as exc:  # the batch is lost: tell every caller, then go on
            error = exc if isinstance(exc, Exception) else WriterStopped("writer cancelled")
            for request in batch:
                _settle(request.future, _Outcome(error=error))
            if not isinstance(exc, Exception):
                raise
            return
        self.commits += 1
        self.units += sum(1 for outcome in outcomes if outcome.error is None)
        for request, outcome in zip(batch, outcomes, strict=True):
            _settle(request.future, outcome)

    def _fail_queued(self) -> None:
        while not self._queue.empty():
            request = self._queue.get_nowait()
            if request is not None:
                _settle(request.future, _Outcome(error=WriterStopped("the writer stopped")))


async def _run_in_savepoint(conn: AsyncConnection, driver: Any, fn: Work[Any]) -> _Outcome:
    """Run fn between SAVEPOINT and RELEASE, or roll back to the savepoint if it raises.

    The savepoint statements go to the sqlite3 connection directly (it runs inline, see
    `sqlite_inline.py`): SQLAlchemy's `begin_nested()` costs several times as much.
    """
    driver.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        value = await fn(conn)
    except Exception as exc:  # the caller's error, handed back to the caller
        driver.execute(f"ROLLBACK TO {_SAVEPOINT}")
        driver.execute(f"RELEASE {_SAVEPOINT}")
        return _Outcome(error=exc)
    driver.execute(f"RELEASE {_SAVEPOINT}")
    return _Outcome(value=value)


def _settle(future: asyncio.Future[Any], outcome: _Outcome) -> None:
    if future.done():  # the caller was cancelled
        return
    if outcome.error is not None:
        future.set_exception(outcome.error)
    else:
        future.set_result(outcome.value)
