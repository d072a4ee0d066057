"""What every use case needs from the outside world: storage, a clock, randomness.

Tests pass a fixed clock and seeded randomness; `kodeord serve` passes the real ones.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kodeord.adapters.db.engine import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Context:
    db: Database
    admin_token: str | None = None
    clock: Callable[[], datetime] = utc_now
    random_bytes: Callable[[int], bytes] = field(default=secrets.token_bytes)
    lease_listeners: list[Callable[[str], None]] = field(default_factory=list)

    def lease_changed(self, number: str) -> None:
        """Tell caches (the router's registry) that a keyword on `number` changed."""
        for listener in self.lease_listeners:
            listener(number)
