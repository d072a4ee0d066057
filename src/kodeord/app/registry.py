"""The router's view of the database: the facts `domain.routing.route` asks for.

The router is pure and synchronous, so the facts for one message are loaded before it
runs: the short number (and the number a dialog-ID address starts with), the keywords
on it, the dialog and session owners for this phone. Keywords per number are cached for
`ttl` seconds (default 1 s) and dropped at once when this process changes a lease, so a
burst of a TV vote costs one keyword query per second, not one per message; another
node's lease change is seen within the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import messages as repo
from kodeord.adapters.db.engine import Database
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routing import DialogOwner, KeywordHolder, number_candidates


@dataclass(frozen=True, slots=True)
class NumberFacts:
    number: ShortNumber
    help_text: str | None
    reply_unknown: bool
    holders: dict[str, KeywordHolder]
    keywords: tuple[str, ...]


@dataclass(slots=True)
class LoadedRegistry:
    """Implements domain.routing.Registry over facts loaded for one message."""

    facts: dict[str, NumberFacts]
    dialogs: dict[tuple[str, str], DialogOwner] = field(default_factory=dict)
    sessions: dict[tuple[str, str], list[int]] = field(default_factory=dict)

    def number(self, digits: str) -> ShortNumber | None:
        found = self.facts.get(digits)
        return found.number if found else None

    def lease_for(self, number: str, fold: str) -> KeywordHolder | None:
        found = self.facts.get(number)
        return found.holders.get(fold) if found else None

    def keywords_on(self, number: str) -> Sequence[str]:
        found = self.facts.get(number)
        return found.keywords if found else ()

    def dialog(self, number: str, subnumber: str, now: datetime) -> DialogOwner | None:
        return self.dialogs.get((number, subnumber))

    def session_candidates(self, number: str, phone: str, now: datetime) -> Sequence[int]:
        return self.sessions.get((number, phone), [])

    def help_text(self, number: str) -> str | None:
        found = self.facts.get(number)
        return found.help_text if found else None


class RegistryCache:
    def __init__(
        self, db: Database, ttl: float = 1.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, NumberFacts | None]] = {}
        self._sessions: tuple[float, bool] | None = None

    def invalidate(self, number: str | None = None) -> None:
        if number is None:
            self._cache.clear()
            self._sessions = None
        else:
            self._cache.pop(number, None)

    async def _sessions_in_use(self, conn: AsyncConnection) -> bool:
        """Whether any customer uses session routing (cached like the keywords), so the
        per-phone session query is skipped while nobody does."""
        now = self.monotonic()
        if self._sessions is None or self._sessions[0] < now:
            self._sessions = (now + self.ttl, await repo.any_session_routing(conn))
        return self._sessions[1]

    def cached(self, number: str | None) -> NumberFacts | None:
        """The facts about a number as last loaded, if any (no database access)."""
        entry = self._cache.get(number or "")
        return entry[1] if entry else None

    async def for_message(self, recipient: str, sender: str, now: datetime) -> LoadedRegistry:
        candidates = list(number_candidates(recipient))
        async with self.db.read() as conn:
            facts = await self._facts(conn, candidates)
            registry = LoadedRegistry({f.number.number: f for f in facts})
            for fact in facts:
                digits = fact.number.number
                sub = recipient[len(digits) :]
                if sub:
                    row = await repo.dialog_owner(conn, digits, sub, now)
                    if row is not None:
                        registry.dialogs[(digits, sub)] = DialogOwner(row.customer_id, row.lease_id)
                if await self._sessions_in_use(conn):
                    found = await repo.session_candidates(conn, digits, sender, now)
                    registry.sessions[(digits, sender)] = found
        return registry

    async def _facts(self, conn: AsyncConnection, candidates: list[str]) -> list[NumberFacts]:
        now = self.monotonic()
        missing = [c for c in candidates if c not in self._cache or self._cache[c][0] < now]
        if missing:
            rows = {row.number: row for row in await repo.numbers_by_digits(conn, missing)}
            for digits in missing:
                row = rows.get(digits)
                loaded = await self._load(conn, row) if row is not None else None
                self._cache[digits] = (now + self.ttl, loaded)
        return [f for c in candidates if (f := self._cache[c][1]) is not None]

    async def _load(self, conn: AsyncConnection, row: Any) -> NumberFacts:
        number = ShortNumber(
            row.number,
            NumberMode(row.mode),
            row.owner_customer_id,
            row.premium,
            row.monthly_fee_ore,
            row.setup_fee_ore,
            row.keyword_fee_ore,
        )
        holders = {}
        keywords = []
        for key in await repo.number_snapshot(conn, row.number):
            holders[key.fold] = KeywordHolder(
                lease_id=key.lease_id,
                customer_id=key.customer_id,
                keyword=key.keyword,
                matched=key.canonical,
                allow_digit_suffix=key.allow_digit_suffix,
                suspended=key.status == "suspended",
            )
            keywords.append(key.canonical)
        return NumberFacts(
            number, row.help_text, bool(row.reply_unknown), holders, tuple(sorted(keywords))
        )
