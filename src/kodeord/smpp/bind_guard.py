"""Bind throttling and refusal tallies for an SMSC: pure, time as an argument.

A password guesser must not get unlimited tries, and must not make us burn CPU on a
slow password hash for each one. `BindThrottle` keeps, per key (the server uses the
peer's IP address and the system_id, whether or not that account exists, so the answer
says nothing about which accounts do), the failures seen lately. Rules:

- `begin(key, now)` before checking a password: 0.0 means go ahead (the check counts as
  in flight until `end()`), a positive number is the seconds until the key may try
  again, and then no password is checked at all. None means as many checks as the key
  has tries left are in flight: ask again when one has ended. So a burst of
  simultaneous binds gets no more tries than a sequence would, and a burst of good
  binds only waits its turn.
- After `failures` failed checks within `forget_after` seconds the key is locked out for
  `lockout` seconds; each lockout in a row lasts `growth` times the one before, up to
  `max_lockout`.
- Below the limit, the first `free_failures` cost no wait (a typo, a NAT shared by
  several customers); each later one makes the key wait `backoff * 2**(n-1)` seconds
  (at most `max_backoff`) before its next try, n counting the failures past the free.
- A success forgets the key (the server reports success only for the account key: an
  attacker with one good account cannot reset the count of its IP address).
- At most `max_keys` keys are remembered; the oldest are forgotten first.

`RefusalTally` aggregates log lines: the first refusal of a key in an `interval` is
reported at once, the rest are counted and reported by `due(now)` as one line per key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How many password failures a key gets, and how long it waits afterwards."""

    failures: int = 10
    lockout: float = 300.0
    growth: float = 2.0
    max_lockout: float = 86_400.0
    free_failures: int = 3
    backoff: float = 1.0
    max_backoff: float = 30.0
    forget_after: float = 3_600.0
    max_keys: int = 100_000

    def __post_init__(self) -> None:
        times = (self.lockout, self.max_lockout, self.backoff, self.max_backoff)
        counts = (self.failures, self.max_keys, self.free_failures + 1)
        if min(counts) < 1 or self.growth < 1 or min(times) < 0:
            raise ValueError(f"not a usable throttle policy: {self}")
        if self.forget_after <= 0:
            raise ValueError("forget_after must be positive")

    def lockout_after(self, lockouts: int) -> float:
        """How long the `lockouts`-th lockout in a row lasts (1 for the first)."""
        return min(self.lockout * float(self.growth) ** (lockouts - 1), self.max_lockout)

    def backoff_after(self, failures: int) -> float:
        """How long to wait after `failures` (>= 1) failures below the limit."""
        past = failures - self.free_failures
        if past < 1 or not self.backoff:
            return 0.0
        return min(self.backoff * 2.0 ** (past - 1), self.max_backoff)


@dataclass(slots=True)
class _Entry:
    failures: int = 0
    in_flight: int = 0
    lockouts: int = 0
    not_before: float = 0.0  # no check before this moment (backoff or lockout)
    last_seen: float = 0.0


class BindThrottle:
    """Failures per key and the waits they earn; see the module docstring."""

    def __init__(self, policy: ThrottlePolicy | None = None) -> None:
        self.policy = policy or ThrottlePolicy()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def begin(self, key: Hashable, now: float) -> float | None:
        """0.0: check the password (in flight until end()); a positive number: refused,
        seconds to wait; None: ask again once a check in flight has ended."""
        entry = self._entry(key, now)
        if now < entry.not_before:
            return entry.not_before - now
        if entry.failures + entry.in_flight >= self.policy.failures:
            return None
        entry.in_flight += 1
        return 0.0

    def cancel(self, key: Hashable) -> None:
        """A begin() that went ahead but no password was checked after all."""
        entry = self._entries.get(key)
        if entry is not None and entry.in_flight:
            entry.in_flight -= 1

    def end(self, key: Hashable, now: float, *, ok: bool, forget: bool = True) -> None:
        """The check begun for `key` is over. A success forgets the key when `forget`."""
        self.cancel(key)
        entry = self._entries.get(key)
        if entry is None:
            return
        if ok:
            if forget and not entry.in_flight:
                del self._entries[key]
            return
        entry.failures += 1
        entry.last_seen = now
        policy = self.policy
        if entry.failures >= policy.failures:
            entry.lockouts += 1
            entry.failures = 0
            entry.not_before = now + policy.lockout_after(entry.lockouts)
        else:
            entry.not_before = max(entry.not_before, now + policy.backoff_after(entry.failures))

    def _entry(self, key: Hashable, now: float) -> _Entry:
        entry = self._entries.get(key)
        if entry is not None and not entry.in_flight and self._stale(entry, now):
            del self._entries[key]
            entry = None
        if entry is None:
            entry = _Entry(last_seen=now)
            self._entries[key] = entry
            while len(self._entries) > self.policy.max_keys:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return entry

    def _stale(self, entry: _Entry, now: float) -> bool:
        quiet_since = max(entry.last_seen, entry.not_before)
        return now - quiet_since > self.policy.forget_after


@dataclass(frozen=True, slots=True)
class Tally:
    """`count` refusals of `key` between `first` and `last` not reported one by one."""

    key: Hashable
    count: int
    first: float
    last: float


class RefusalTally:
    """One log line per key and interval instead of one per refusal."""

    def __init__(self, interval: float = 60.0, max_keys: int = 10_000) -> None:
        if interval <= 0 or max_keys < 1:
            raise ValueError("interval must be positive and max_keys at least 1")
        self.interval = interval
        self.max_keys = max_keys
        self._open: dict[Hashable, list[float]] = {}  # key → [window start, count, last]
        self._ended: list[Tally] = []  # intervals closed by add() before due() saw them

    def add(self, key: Hashable, now: float) -> bool:
        """Count a refusal; True when it should be logged now (the first in its interval)."""
        window = self._open.get(key)
        if window is None or now - window[0] >= self.interval:
            if window is not None and window[1]:
                self._ended.append(Tally(key, int(window[1]), window[0], window[2]))
            if len(self._open) >= self.max_keys and key not in self._open:
                return False  # counted nowhere: the log is already saying enough
            self._open[key] = [now, 0.0, now]
            return True
        window[1] += 1
        window[2] = now
        return False

    def due(self, now: float, *, everything: bool = False) -> list[Tally]:
        """The counts of intervals that have ended (all of them with `everything`)."""
        done = [
            key
            for key, window in self._open.items()
            if everything or now - window[0] >= self.interval
        ]
        tallies, self._ended = self._ended, []
        for key in done:
            start, count, last = self._open.pop(key)
            if count:
                tallies.append(Tally(key, int(count), start, last))
        return tallies
