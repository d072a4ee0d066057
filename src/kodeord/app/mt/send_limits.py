"""Sending limits: a token bucket per API key, counting recipients (domain/ratelimit.py).

Rules:
- Every API key has its own bucket; a send costs one token per recipient and passes
  whole or not at all. Refused: `RateLimited` (HTTP 429 with Retry-After in whole
  seconds) and nothing is queued. A batch larger than the bucket can ever hold is
  refused as bad input (`batch_over_burst`), since waiting would not help.
- A send refused after it was counted (bad input found later) gets its tokens back.
- The limit is the customer's own (`customer_settings.send_rate_per_second` and
  `send_burst`, set by the admin) or else the gateway's default (`KODEORD_SEND_RATE`,
  `KODEORD_SEND_BURST`). This process reads a customer's limit at most every
  `LIMIT_TTL`; a change made through this process applies at once.
- Buckets live in this process's memory: each node counts on its own (N nodes let a key
  send up to N times its rate), and a restart starts every key with a full bucket.
- Time is the monotonic clock given; the bucket arithmetic is pure.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kodeord.app.context import Context
from kodeord.app.errors import AppError, Invalid, NotFound
from kodeord.app.mt.ports import MtTx, OwnLimit
from kodeord.domain.ratelimit import Bucket, Limit, refund, take

LIMIT_TTL = 10.0  # seconds a customer's limit is cached per process


class RateLimited(AppError):
    status = 429

    def __init__(self, retry_after: int, limit: Limit) -> None:
        super().__init__(
            "rate_limited",
            f"this API key may send to {limit.rate:g} recipients a second (bursts of"
            f" {limit.burst}); try again in {retry_after} s",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class SendLimits:
    def __init__(self, ctx: Context[MtTx], clock: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.clock = clock
        self._buckets: dict[int, Bucket] = {}
        self._limits: dict[int, tuple[Limit, float]] = {}

    async def limit_of(self, customer_id: int) -> Limit:
        cached = self._limits.get(customer_id)
        now = self.clock()
        if cached is not None and now - cached[1] < LIMIT_TTL:
            return cached[0]
        async with self.ctx.storage.read() as tx:
            row = await tx.send_limits.own_limit(customer_id)
        limit = _effective(self.ctx.send_limit, row)
        self._limits[customer_id] = (limit, now)
        return limit

    def forget(self, customer_id: int) -> None:
        """The customer's limit changed: read it again on its next send."""
        self._limits.pop(customer_id, None)

    async def take(self, key_id: int, customer_id: int, cost: int) -> None:
        """Count a send of `cost` recipients by this key, or refuse it."""
        limit = await self.limit_of(customer_id)
        decision = take(self._buckets.get(key_id), limit, cost, self.clock())
        self._buckets[key_id] = decision.bucket
        if decision.never:
            raise Invalid(
                "batch_over_burst",
                f"{cost} recipients are more than this key may send at once ({limit.burst});"
                " split the batch",
                field="to",
            )
        if not decision.allowed:
            raise RateLimited(decision.retry_after, limit)

    def give_back(self, key_id: int, customer_id: int, cost: int) -> None:
        bucket = self._buckets.get(key_id)
        cached = self._limits.get(customer_id)
        if bucket is not None and cached is not None:
            self._buckets[key_id] = refund(bucket, cached[0], cost)


def _effective(default: Limit, row: OwnLimit | None) -> Limit:
    if row is None:
        return default
    rate = row.send_rate_per_second if row.send_rate_per_second is not None else default.rate
    burst = row.send_burst if row.send_burst is not None else default.burst
    return Limit(float(rate), int(burst))


def limit_view(customer_id: int, default: Limit, row: OwnLimit | None) -> dict[str, Any]:
    limit = _effective(default, row)
    return {
        "customer_id": customer_id,
        "send_rate_per_second": limit.rate,
        "send_burst": limit.burst,
        "own_rate": row is not None and row.send_rate_per_second is not None,
        "own_burst": row is not None and row.send_burst is not None,
    }


async def get_limits(ctx: Context[MtTx], customer_id: int) -> dict[str, Any]:
    async with ctx.storage.read() as tx:
        if await tx.customers.get(customer_id) is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        row = await tx.send_limits.own_limit(customer_id)
    return limit_view(customer_id, ctx.send_limit, row)


async def set_limits(
    ctx: Context[MtTx],
    limits: SendLimits,
    customer_id: int,
    rate: float | None,
    burst: int | None,
) -> dict[str, Any]:
    """The customer's own limit (None: the gateway's default for that part)."""
    async with ctx.storage.transaction() as tx:
        if await tx.customers.get(customer_id) is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        await tx.send_limits.set_own_limit(customer_id, rate, burst)
        row = await tx.send_limits.own_limit(customer_id)
    limits.forget(customer_id)
    return limit_view(customer_id, ctx.send_limit, row)
