"""Helpers for the queue tests: a clock the test moves, and a Database per scenario."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kodeord.adapters.db.engine import Database

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """UTC time that moves only when the test says so."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def run_with_database(url: str, scenario: Callable[[Database], Awaitable[None]]) -> None:
    """Run `scenario(db)` in a fresh event loop, closing the database afterwards."""

    async def main() -> None:
        db = Database(url)
        try:
            await scenario(db)
        finally:
            await db.close()

    asyncio.run(main())
