"""Jobs: the records of the durable queue and the kinds of work it carries.

Rules:
- A job is enqueued in the transaction of the work that needs it (`tx.jobs`), so a
  message and the job that delivers it commit together or not at all.
- Delivery is at least once: a handler must be safe to run again for the same job.
- `JobKind` names every kind a handler exists for; the worker runs exactly those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class JobKind(StrEnum):
    ROUTE = "route"  # an MO stored without a routing decision (mo/)
    DELIVER = "deliver"  # an MO to its destination (mo/)
    SEND_MT = "send_mt"  # an MT to an operator link (mt/)
    RECEIPT = "receipt"  # a delivery receipt from an operator (mt/)
    STATUS_CALLBACK = "status_callback"  # an MT's status to the customer's URL (mt/)
    SMPP_DELIVER = "smpp_deliver"  # an MO or receipt to a customer's SMPP bind (binds/)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    run_at: datetime
    created_at: datetime
    last_error: str | None
    status: JobStatus = JobStatus.RUNNING
    leased_by: str | None = None
    lease_until: datetime | None = None
    dedupe_key: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NewJob:
    """One job to enqueue."""

    kind: str
    payload: Mapping[str, Any]
    run_at: datetime | None = None
    dedupe_key: str | None = None


class JobStore(Protocol):
    """The queue inside a unit of work (`tx.jobs`): what is enqueued commits with it."""

    async def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        *,
        run_at: datetime | None = None,
        dedupe_key: str | None = None,
    ) -> int | None:
        """Add a job; its id, or None if `dedupe_key` exists already."""
        ...

    async def enqueue_many(self, new_jobs: Sequence[NewJob]) -> list[int]:
        """Add many jobs; the ids of those added (duplicate keys skipped)."""
        ...

    async def enqueue_leased(
        self, new_jobs: Sequence[NewJob], worker: str, lease_seconds: float
    ) -> list[Job]:
        """Add jobs already claimed by `worker`, for a producer that runs them itself
        right after its commit; every job needs a dedupe_key."""
        ...

    async def withdraw(self, dedupe_key: str, note: str) -> bool:
        """Take back the job with this key if it never ran; whether it could be."""
        ...

    async def complete(self, job_ids: Sequence[int], worker: str | None) -> set[int]:
        """Mark running jobs done with the work they did; the ids that were."""
        ...


class LeasedJobRunner(Protocol):
    """A worker that runs jobs leased to it by a producer (app/worker.py JobWorker)."""

    @property
    def name(self) -> str: ...

    @property
    def lease_seconds(self) -> float: ...

    def room(self) -> int: ...

    def take(self, jobs: Iterable[Job]) -> None: ...


class InlineJobs:
    """Where a producer hands this process's worker the jobs it leased to it (the MO
    intake's deliver jobs, run right after the commit without a claim).

    Built before the services and the worker, to break their cycle (the worker needs the
    services' handlers; intake needs the worker): the worker registers here at its own
    construction (`JobWorker(..., inline=…)`). Without a worker there is no room, and the
    producer queues its jobs instead."""

    __slots__ = ("_runner",)

    def __init__(self) -> None:
        self._runner: LeasedJobRunner | None = None

    def register(self, runner: LeasedJobRunner) -> None:
        if self._runner is not None:
            raise RuntimeError("inline jobs run on one worker")
        self._runner = runner

    @property
    def runner(self) -> LeasedJobRunner | None:
        return self._runner

    def room(self) -> int:
        """How many leased jobs the worker would take now (0 without one)."""
        return 0 if self._runner is None else self._runner.room()
