"""Calls that arrive together share one round trip to the database.

A worker runs many deliveries at once; each needs its message read and its attempt
written. `Batcher(fn)` collects the calls that arrive while one `fn(items)` is in flight
and hands them to the next `fn` call as one list, so under load dozens of single-row
reads and writes become one query each. `fn` returns one result per item, in order; when
it raises, every caller in that batch gets the exception. A lone call waits for nothing
but its own batch. With `concurrency` N, up to N batches are in flight at once (each
takes what is waiting when it starts): on PostgreSQL a batch's transaction mostly waits
for round trips, and others can run meanwhile; SQLite's single writer wants 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Batcher(Generic[Item, Result]):
    def __init__(
        self,
        fn: Callable[[list[Item]], Awaitable[Sequence[Result]]],
        max_batch: int = 500,
        concurrency: int = 1,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._fn = fn
        self._max_batch = max_batch
        self._concurrency = concurrency
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flushers: set[asyncio.Task[None]] = set()  # started and not yet finished

    async def call(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if len(self._flushers) < self._concurrency:
            self._flushers.add(asyncio.get_running_loop().create_task(self._flush()))
        return await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._run(batch)
        finally:
            # no await between the last look at _waiting and this: a call() after it
            # starts a new flusher (a done-callback would come a loop turn too late)
            self._flushers.discard(asyncio.current_task())

    async def _run(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._fn([item for item, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
