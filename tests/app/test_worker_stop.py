"""The job worker stops when asked, even when a cancelled claim ends in another error.

SQLAlchemy may answer the cancellation of a task inside a statement with its own
exception (PendingRollbackError) instead of CancelledError. The worker logs and retries
claim errors; it must not treat that one as a claim error and run on, or the gateway
never finishes stopping.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from kodeord.app.worker import JobWorker
from tests.support import async_test_within


class SwallowingQueue:
    """A queue whose first claim, when cancelled, raises something else (as SQLAlchemy
    can); later claims are cancelled normally, so a failing test ends instead of hanging."""

    def __init__(self) -> None:
        self.claims = 0
        self.claiming = asyncio.Event()

    async def claim(self, *args: Any) -> list[Any]:
        self.claims += 1
        self.claiming.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if self.claims == 1:
                raise RuntimeError("invalid transaction is rolled back") from None
            raise
        return []

    async def wait(self, timeout: float) -> None:
        await asyncio.sleep(timeout)


@async_test_within(10)
async def test_stop_ends_the_worker_although_the_claim_swallowed_the_cancel() -> None:
    queue = SwallowingQueue()
    worker = JobWorker(
        queue,  # type: ignore[arg-type]
        {"deliver": lambda job: asyncio.sleep(0)},  # type: ignore[arg-type,return-value]
        lambda: datetime.now(UTC),
        error_pause=0.01,
    )
    worker.start()
    await queue.claiming.wait()
    stopping = asyncio.ensure_future(worker.stop())
    done, _ = await asyncio.wait({stopping}, timeout=2)
    assert stopping in done, "the worker went on claiming after it was cancelled"
    assert queue.claims == 1


class SwallowingWait:
    """A queue with no jobs whose wait, when cancelled, returns as if it timed out: what
    JobQueue.wait did when the cancel hit its next-due read and came out as a database
    error it logs and polls through."""

    def __init__(self) -> None:
        self.waits = 0
        self.waiting = asyncio.Event()

    async def claim(self, *args: Any) -> list[Any]:
        return []

    async def wait(self, timeout: float) -> bool:
        self.waits += 1
        self.waiting.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if self.waits > 1:
                raise
        return False


@async_test_within(10)
async def test_stop_ends_the_worker_although_the_wait_swallowed_the_cancel() -> None:
    queue = SwallowingWait()
    worker = JobWorker(
        queue,  # type: ignore[arg-type]
        {"deliver": lambda job: asyncio.sleep(0)},  # type: ignore[arg-type,return-value]
        lambda: datetime.now(UTC),
    )
    worker.start()
    await queue.waiting.wait()
    stopping = asyncio.ensure_future(worker.stop())
    done, _ = await asyncio.wait({stopping}, timeout=2)
    assert stopping in done, "the worker went on waiting after it was cancelled"
    assert queue.waits == 1
