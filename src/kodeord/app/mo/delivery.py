"""Delivery of a routed MO: the `deliver` job, one attempt at the message's destination.

- The destination is the message's route (the inbox when it has none); the deliverer
  for its type comes from the registry (app/mo/destinations/).
- An attempt is recorded in the delivery log; a delivered job is marked done in the
  same write. Failures are retried by `RetryPolicy` (5 s doubling, up to 24 h) unless
  the outcome says retrying cannot help; then the job is dead (admin can replay it).
- Concurrent deliveries share their reads and their writes (app/batching.py): the hot
  path's messages are loaded many at once, attempts recorded many at once. A job leased
  at intake brings its message along (app/mo/leased.py): no read at all.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kodeord.app.batching import Batcher
from kodeord.app.context import Context
from kodeord.app.jobs import Job, JobKind
from kodeord.app.metrics import METRICS, labelled
from kodeord.app.mo.leased import LeasedDeliveries
from kodeord.app.mo.ports import (
    Attempt,
    Deliverer,
    DeliveryAttempt,
    FinalStatus,
    MoTx,
    StoredMo,
)
from kodeord.app.worker import SETTLED, Dead, Handler, Outcome, retry_or_dead
from kodeord.domain.messages import MessageStatus
from kodeord.domain.retry import RetryPolicy
from kodeord.domain.routes import DEFAULT_ROUTE, RouteType


@dataclass(frozen=True, slots=True)
class _Record:
    attempt: DeliveryAttempt
    status: FinalStatus | None  # the message's new status, when final
    done: tuple[int, str | None] | None  # (job id, worker) to mark done in the same write


class MoDelivery:
    def __init__(
        self,
        ctx: Context[MoTx],
        deliverers: Mapping[RouteType, Deliverer[Any]],
        leased: LeasedDeliveries,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.ctx = ctx
        self.deliverers = deliverers
        self.leased = leased
        self.policy = policy or RetryPolicy()
        self.random = random.Random()
        self._loader: Batcher[int, StoredMo | None] = Batcher(self._load_many)
        self._recorder: Batcher[_Record, None] = Batcher(
            self._record_many, concurrency=ctx.storage.write_concurrency
        )

    @property
    def handlers(self) -> dict[str, Handler]:
        return {JobKind.DELIVER: self.deliver}

    async def deliver(self, job: Job) -> Outcome:
        message_id = int(job.payload["message_id"])
        message = self.leased.take_message(message_id) or await self._loader.call(message_id)
        if message is None:
            return Dead(f"message {message_id} does not exist")
        route = message.destination or DEFAULT_ROUTE
        result = await self.deliverers[route.type].deliver(message, route, job)
        if not isinstance(result, Attempt):
            return result  # the deliverer settled the job itself
        await self._record(message, route.type, result, job)
        outcome = result.outcome
        if outcome.ok:
            return SETTLED
        if not outcome.retryable:
            return Dead(outcome.error or "refused")
        error = outcome.error or "failed"
        return retry_or_dead(self.policy, job, self.ctx.clock(), self.random.random(), error)

    async def _record(
        self, message: StoredMo, destination: RouteType, attempt: Attempt, job: Job
    ) -> None:
        """Record one attempt (with others at the same time); a delivered job is marked
        done in the same write (the handler then answers SETTLED)."""
        now = self.ctx.clock()
        outcome = attempt.outcome
        row = DeliveryAttempt(
            message_id=message.id,
            destination=destination.value,
            target=attempt.target,
            attempt=job.attempts,
            ok=outcome.ok,
            status_code=outcome.status_code,
            error=(outcome.error or "")[:500] or None,
            duration_ms=outcome.duration_ms,
            at=now,
        )
        status = None
        if outcome.ok or not outcome.retryable:
            final = MessageStatus.DELIVERED if outcome.ok else MessageStatus.FAILED
            status = FinalStatus(message.id, final, now if outcome.ok else None)
        done = (job.id, job.leased_by) if outcome.ok else None
        await self._recorder.call(_Record(row, status, done))
        labelled(METRICS.deliveries, destination.value, "ok" if outcome.ok else "failed").inc()
        labelled(METRICS.delivery_seconds, destination.value).observe(outcome.duration_ms / 1000)

    async def _load_many(self, ids: list[int]) -> list[StoredMo | None]:
        """Messages for many deliveries at once (None for an id that does not exist)."""
        async with self.ctx.storage.read() as tx:
            found = await tx.mo_messages.get_many(ids)
        return [found.get(message_id) for message_id in ids]

    async def _record_many(self, items: list[_Record]) -> list[None]:
        attempts = [item.attempt for item in items]
        statuses = [item.status for item in items if item.status is not None]
        done: dict[str | None, list[int]] = {}
        for item in items:
            if item.done is not None:
                done.setdefault(item.done[1], []).append(item.done[0])

        async def write(tx: MoTx) -> None:
            await tx.mo_messages.record_attempts(attempts, statuses)
            for worker, job_ids in done.items():
                await tx.jobs.complete(job_ids, worker)

        await self.ctx.storage.write(write)
        return [None] * len(items)
