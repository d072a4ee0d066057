"""Signing in to the console: when to refuse, how long a session lives.

Rules:
- Failures are counted per e-mail address and per client address within a window
  (`LockoutPolicy.window`, 15 minutes). Five failures for one address, or fifty from one
  client, lock that key for `lock_for` (15 minutes): a correct password is refused too
  while it lasts, so guessing cannot go on at a slower pace. A success clears the
  address's count (not the client's: one office shares an address).
- The refusal does not say whether the address exists: unknown address and wrong
  password get the same answer, and both cost one password hash (the caller hashes a
  decoy), so timing tells nothing either.
- A session ends after `idle` (12 hours) without a request, or `absolute` (7 days) after
  sign-in, whichever is first, and at sign-out. Its last-seen time is written at most
  once a minute (`touch_every`), not on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    per_email: int = 5
    per_client: int = 50
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)

    def limit(self, key: str) -> int:
        return self.per_email if key.startswith("email:") else self.per_client


@dataclass(frozen=True, slots=True)
class Failures:
    """What is recorded for one key: failures since `first_at`, locked until when."""

    count: int
    first_at: datetime
    locked_until: datetime | None = None


def email_key(email: str) -> str:
    return f"email:{email}"


def client_key(address: str) -> str:
    return f"ip:{address}"


def locked(failures: Failures | None, now: datetime) -> datetime | None:
    """Until when `failures` keep the key locked at `now`, or None."""
    if failures is None or failures.locked_until is None:
        return None
    return failures.locked_until if failures.locked_until > now else None


def after_failure(
    failures: Failures | None, key: str, now: datetime, policy: LockoutPolicy
) -> Failures:
    """The record after one more failure at `now`: a new window when the old one ended."""
    if failures is None or now - failures.first_at >= policy.window:
        failures = Failures(count=0, first_at=now)
    count = failures.count + 1
    locked_until = now + policy.lock_for if count >= policy.limit(key) else None
    return Failures(count=count, first_at=failures.first_at, locked_until=locked_until)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(hours=12)
    absolute: timedelta = timedelta(days=7)
    touch_every: timedelta = timedelta(minutes=1)

    def alive(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at < self.idle and now - created_at < self.absolute

    def needs_touch(self, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at >= self.touch_every
