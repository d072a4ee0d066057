"""Coalescing `complete()` calls: the completions asked for together share one UPDATE.

A worker runs many jobs at once and settles each as it finishes, so under load dozens
of `complete(job_id)` calls arrive within a few milliseconds. Written one by one they cost
a statement each (and on PostgreSQL a transaction each); here the calls that arrive while
one write is in flight wait for it to end and then go out together as the next write.

Rules: each caller's await ends after the write holding its job has committed; it gets
True when that write marked its job done, False when the job was not running under that
worker (or the same id was already in the write); when the write fails, every caller in
it gets the error. A lone call waits for nothing but its own write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Write = Callable[[list[int], str | None], Awaitable[set[int]]]
_Waiting = dict[str | None, list[tuple[int, asyncio.Future[bool]]]]


class CompletionBatcher:
    def __init__(self, write: Write) -> None:
        self._write = write  # marks ids done (as leased by worker, if given); those it did
        self._waiting: _Waiting = {}
        self._flusher: asyncio.Task[None] | None = None

    async def complete(self, job_id: int, worker: str | None) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(worker, []).append((job_id, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            waiting, self._waiting = self._waiting, {}
            await asyncio.gather(*(self._one(worker, calls) for worker, calls in waiting.items()))

    async def _one(self, worker: str | None, calls: list[tuple[int, asyncio.Future[bool]]]) -> None:
        try:
            done = await self._write(list(dict.fromkeys(job_id for job_id, _ in calls)), worker)
        except Exception as exc:  # every caller of this write learns why it failed
            for _, future in calls:
                if not future.done():
                    future.set_exception(exc)
            return
        for job_id, future in calls:
            if not future.done():
                future.set_result(job_id in done)
            done.discard(job_id)  # a repeated id is settled once
