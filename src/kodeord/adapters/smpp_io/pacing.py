"""How fast an ESME may send: rate limit, throttle pause and reconnect backoff, sans-IO.

No clock, no sleeping: every method takes `now` (time.monotonic()) and answers with a
number of seconds to wait; EsmeClient does the waiting. Rules:

- The rate limit is a token bucket holding one token (GCRA, "virtual scheduling"): each
  message reserves the next free slot, `1 / max_rate` seconds after the previous one, so
  messages leave evenly spaced. SMSCs count per second and throttle bursts, so no burst
  allowance is given. A reservation is final: a caller that gives up wastes its slot.
- ESME_RTHROTTLED and ESME_RMSGQFUL (section 5.1.3) pause *all* sending for
  `throttle_backoff` seconds, doubling on each repeat up to `max_pause`, back to the
  start after a success. Only answers to requests sent *after* the current pause began
  count: ten requests in flight that all come back throttled are one event, not ten
  doublings. `epoch` tells which pause a request was sent under.
- Reconnect backoff is exponential with equal jitter: half the delay fixed, half random,
  so a fleet of clients does not reconnect in step after an SMSC restart.
"""

from __future__ import annotations

from kodeord.smpp.constants import CommandStatus

THROTTLE_STATUSES: frozenset[int] = frozenset(
    {CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL}
)


class Pacer:
    """Rate limit and throttle pause for one ESME; see the module docstring."""

    def __init__(
        self, max_rate: float | None, throttle_backoff: float, max_pause: float = 60.0
    ) -> None:
        if max_rate is not None and max_rate <= 0:
            raise ValueError(f"max_rate must be > 0 or None, got {max_rate}")
        if throttle_backoff <= 0:
            raise ValueError(f"throttle_backoff must be > 0, got {throttle_backoff}")
        self._interval = 0.0 if max_rate is None else 1.0 / max_rate
        self._next_slot = 0.0
        self._base_pause = throttle_backoff
        self._max_pause = max(max_pause, throttle_backoff)
        self._pause = 0.0  # length of the current/last pause; 0 after a success
        self._resume_at = 0.0
        self.epoch = 0
        """Counts pauses; a request remembers the epoch it was sent under."""

    def paused_for(self, now: float) -> float:
        """Seconds left of the current throttle pause (0 when sending may go on)."""
        return max(0.0, self._resume_at - now)

    def reserve(self, now: float) -> float:
        """Reserve the next rate slot for one message; seconds to wait until it."""
        if not self._interval:
            return 0.0
        slot = max(self._next_slot, now)
        self._next_slot = slot + self._interval
        return slot - now

    def on_response(self, status: int, epoch: int, now: float) -> float | None:
        """Account for the answer to a request sent under `epoch`. Returns the length of
        a newly started pause, else None."""
        if epoch != self.epoch:
            return None  # sent before the current pause began: already accounted for
        if status in THROTTLE_STATUSES:
            self._pause = min(self._pause * 2, self._max_pause) if self._pause else self._base_pause
            self._resume_at = now + self._pause
            self.epoch += 1
            return self._pause
        if status == CommandStatus.ESME_ROK:
            self._pause = 0.0
        return None


def backoff_delay(failures: int, base: float, cap: float, random_fraction: float) -> float:
    """Delay before reconnect attempt number `failures + 1`: base * 2**failures capped
    at `cap`, of which the upper half is scaled by `random_fraction` (0..1)."""
    delay = min(cap, base * 2.0 ** min(failures, 32))
    return delay / 2 + delay / 2 * random_fraction
