"""When to try a failed delivery again, and when to give up: a pure retry policy.

The default schedule follows the field (NOTES.md, "Webhooks"; Sinch retries from 5 s,
doubling, for about a day; Vonage resends inbound for 24 h): wait 5 s after the first
failed attempt, then 10 s, 20 s … doubling up to a cap of 1 h, and keep going hourly
until 24 h have passed since the first attempt. With zero jitter and instant failures
that is 33 attempts: 11 in the first 1.5 h, then 22 hourly ones.

Rules:
- `attempt` counts the attempts made so far, the one that just failed included (>= 1).
- Jitter only shortens a delay: delay × (1 − jitter × rand), `rand` in [0, 1]. The cap is a
  real cap, and rand = 0 gives the exact schedule (what the tests tabulate). Spreading the
  retries keeps a receiver that comes back from meeting the whole backlog in one second.
- `decide` gives up (None) when the next attempt would fall after
  `first_attempt_at + give_up_after`; the caller then marks the delivery dead.
- Clock and randomness are arguments; datetimes must be timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with a cap, a give-up window and downward jitter (seconds)."""

    first_delay: float = 5.0
    factor: float = 2.0
    max_delay: float = 3600.0
    give_up_after: float = 24 * 3600.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.first_delay <= self.max_delay:
            raise ValueError("need 0 < first_delay <= max_delay")
        if self.factor < 1:
            raise ValueError("factor must be >= 1")
        if self.give_up_after < 0:
            raise ValueError("give_up_after must be >= 0")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must be in [0, 1)")

    def next_delay(self, attempt: int, rand: float) -> float:
        """Seconds to wait after `attempt` failed attempts before the next one."""
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        if not 0 <= rand <= 1:
            raise ValueError("rand must be in [0, 1]")
        return self._capped(attempt) * (1 - self.jitter * rand)

    def decide(
        self, attempt: int, first_attempt_at: datetime, now: datetime, rand: float
    ) -> datetime | None:
        """When to make the next attempt, or None to give up (the delivery is dead)."""
        if first_attempt_at.tzinfo is None or now.tzinfo is None:
            raise ValueError("datetimes must be timezone-aware")
        next_at = now + timedelta(seconds=self.next_delay(attempt, rand))
        if next_at - first_attempt_at > timedelta(seconds=self.give_up_after):
            return None
        return next_at

    def _capped(self, attempt: int) -> float:
        try:
            raw = self.first_delay * self.factor ** (attempt - 1)
        except OverflowError:  # a huge attempt number: far past the cap anyway
            return self.max_delay
        return min(raw, self.max_delay)
