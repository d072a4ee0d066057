"""The job worker: claims jobs from the durable queue and runs their handlers.

A handler returns what became of the job: `Done`, `Settled` (done, and marked so by
the handler in its own write), `RetryAt(when, error)` or `Dead(error)`; an exception is
a bug or an outage and is retried after a short pause (never lost). Jobs are claimed in
batches with a lease; a worker that dies leaves its jobs to be claimed again when the
lease expires (at-least-once). A producer may also hand the worker jobs it inserted
already leased to it (`take`), which saves the claim. The worker sleeps in
`queue.wait()` when there is nothing to do, and is woken by new jobs. Leases last 30 s:
every handler is bounded well below that (a webhook attempt times out after 10 s, an
SMS submit after 20 s). The queue is the `WorkerQueue` port (app/ports.py); the
composition root passes adapters/queue.JobQueue.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from kodeord.app.cancel import raise_if_cancelling
from kodeord.app.jobs import InlineJobs, Job
from kodeord.app.ports import WorkerQueue
from kodeord.domain.retry import RetryPolicy

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Done:
    pass


@dataclass(frozen=True, slots=True)
class Settled:
    """Done, and the handler marked the job done itself (in a write of its own)."""


@dataclass(frozen=True, slots=True)
class RetryAt:
    when: datetime
    error: str


@dataclass(frozen=True, slots=True)
class Dead:
    error: str


Outcome = Done | Settled | RetryAt | Dead


def retry_or_dead(
    policy: RetryPolicy, job: Job, now: datetime, draw: float, error: str
) -> RetryAt | Dead:
    """Another attempt when `policy` allows one for this job (`draw` in [0, 1) for the
    jitter), else the job is dead with `error`."""
    when = policy.decide(job.attempts, job.created_at, now, draw)
    return Dead(error) if when is None else RetryAt(when, error)


Handler = Callable[[Job], Awaitable[Outcome]]
DONE = Done()
SETTLED = Settled()


class JobWorker:
    def __init__(
        self,
        queue: WorkerQueue,
        handlers: dict[str, Handler],
        clock: Callable[[], datetime],
        *,
        concurrency: int = 64,
        taken_limit: int = 1024,
        batch: int = 50,
        lease_seconds: float = 30.0,
        idle_wait: float = 1.0,
        error_pause: float = 5.0,
        inline: InlineJobs | None = None,
    ) -> None:
        self.queue = queue
        self.handlers = handlers
        self.clock = clock
        self.concurrency = concurrency  # jobs at once, when this worker claims more
        # jobs at once, when producers hand it jobs they leased to it (`take`): a burst of
        # MO is delivered from memory rather than queued, claimed and read back; each ends
        # within the attempt's time limit, well inside its lease
        self.taken_limit = max(taken_limit, concurrency)
        self.batch = batch
        self.lease_seconds = lease_seconds
        self.idle_wait = idle_wait
        self.error_pause = error_pause
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._running: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        if inline is not None:  # producers that lease jobs to us find us there
            inline.register(self)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._running:
            await asyncio.wait(self._running, timeout=10)
        for task in self._running:
            task.cancel()

    async def _loop(self) -> None:
        kinds = list(self.handlers)
        while True:
            raise_if_cancelling()  # a cancel some library call turned into a return value
            room = self._room()
            if room == 0:
                await self._one_finished()
                continue
            try:
                jobs = await self.queue.claim(kinds, room, self.lease_seconds, self.name)
            except Exception:
                raise_if_cancelling()
                log.exception("claiming jobs failed; trying again")
                await asyncio.sleep(self.error_pause)
                continue
            if not jobs:
                await self.queue.wait(self.idle_wait)
                continue
            for job in jobs:
                self._start(job)

    def room(self) -> int:
        """How many more jobs leased by a producer this worker would `take` now."""
        return max(0, self.taken_limit - len(self._running))

    def take(self, jobs: Iterable[Job]) -> None:
        """Run jobs leased to this worker elsewhere (`tx.jobs.enqueue_leased`), now.
        Producers ask `room()` first; the claim loop waits while the worker is full."""
        for job in jobs:
            self._start(job)

    def _start(self, job: Job) -> None:
        task = asyncio.get_running_loop().create_task(self._run(job))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def _room(self) -> int:
        """How many jobs to claim now."""
        return max(0, min(self.batch, self.concurrency - len(self._running)))

    async def _one_finished(self) -> None:
        await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)

    async def _run(self, job: Job) -> None:
        try:
            outcome = await self.handlers[job.kind](job)
        except Exception as exc:
            log.exception("job failed; retrying", job_id=job.id, kind=job.kind)
            outcome = RetryAt(self.clock() + timedelta(seconds=self.error_pause), repr(exc)[:500])
        try:
            await self._settle(job, outcome)
        except Exception:
            log.exception("could not settle a job; its lease will expire", job_id=job.id)

    async def _settle(self, job: Job, outcome: Outcome) -> None:
        if isinstance(outcome, Settled):
            return
        if isinstance(outcome, Done):
            await self.queue.complete(job.id, worker=self.name)
        elif isinstance(outcome, RetryAt):
            await self.queue.retry(job.id, outcome.when, outcome.error, worker=self.name)
        else:
            log.warning("job is dead", job_id=job.id, kind=job.kind, error=outcome.error)
            await self.queue.bury(job.id, outcome.error, worker=self.name)
