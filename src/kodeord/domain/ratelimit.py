"""Token buckets: how many recipients an API key may send to now, and when it may again.

Rules:
- A bucket holds up to `burst` tokens and gains `rate` tokens per second; one recipient
  costs one token. A full bucket lets `burst` recipients through at once.
- A request is let through whole or not at all: when the bucket holds fewer tokens than
  the request costs, nothing is taken and the answer says how many whole seconds until
  it would hold enough (at least 1).
- A request costing more than `burst` can never pass; `take` says so (`never`) rather
  than a wait that would not help.
- A refund puts tokens back (for a request that was refused after it was counted), never
  above `burst`.
- Time is an argument: seconds on a monotonic clock. A clock that goes back adds nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_EPSILON = 1e-9  # float refills may fall a hair short of a whole token


@dataclass(frozen=True, slots=True)
class Limit:
    rate: float  # tokens (recipients) per second, > 0
    burst: int  # the bucket's size, >= 1


# A whole batch (1,000 recipients) twice at once, then one every 10 seconds per key.
DEFAULT_SEND_LIMIT = Limit(rate=100.0, burst=2000)


@dataclass(frozen=True, slots=True)
class Bucket:
    tokens: float
    at: float  # when `tokens` was counted


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    bucket: Bucket  # the bucket after the decision (unchanged but refilled when refused)
    retry_after: int = 0  # whole seconds to wait when refused
    never: bool = False  # the request costs more than the bucket can ever hold


def full(limit: Limit, now: float) -> Bucket:
    return Bucket(float(limit.burst), now)


def refill(bucket: Bucket, limit: Limit, now: float) -> Bucket:
    elapsed = max(0.0, now - bucket.at)
    tokens = min(float(limit.burst), bucket.tokens + elapsed * limit.rate)
    return Bucket(tokens, max(now, bucket.at))


def take(bucket: Bucket | None, limit: Limit, cost: int, now: float) -> Decision:
    """Take `cost` tokens if the bucket (None: a new, full one) holds them now."""
    current = full(limit, now) if bucket is None else refill(bucket, limit, now)
    if cost > limit.burst:
        return Decision(False, current, never=True)
    if current.tokens + _EPSILON >= cost:
        return Decision(True, Bucket(max(0.0, current.tokens - cost), current.at))
    wait = math.ceil((cost - current.tokens) / limit.rate)
    return Decision(False, current, retry_after=max(1, wait))


def refund(bucket: Bucket, limit: Limit, cost: int) -> Bucket:
    return Bucket(min(float(limit.burst), bucket.tokens + cost), bucket.at)
