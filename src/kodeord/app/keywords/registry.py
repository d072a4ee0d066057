"""The router's view of the database: the facts `domain.routing.route` asks for.

The router is pure and synchronous, so the facts for a batch of messages are loaded
before it runs: the short numbers (and the number a dialog-ID address starts with), the
keywords on them with each lease's route, the dialog and session owners for the phones,
the customers' default routes. Numbers and customers are cached for `ttl` seconds
(default 1 s) and dropped at once when this process changes them, so a burst of a TV vote
costs one keyword query per second, not one per message, and a batch whose facts are all
cached touches no database at all; another node's change is seen within the TTL.
Signing secrets are stored sealed and opened as they are loaded, not per message.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import messages as repo
from kodeord.adapters.db.engine import Database
from kodeord.adapters.secretbox import SecretBox
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routing import DialogOwner, KeywordHolder, number_candidates


@dataclass(frozen=True, slots=True)
class NumberFacts:
    number: ShortNumber
    help_text: str | None
    reply_unknown: bool
    holders: dict[str, KeywordHolder]
    keywords: tuple[str, ...]
    routes: dict[int, dict[str, Any]] = field(default_factory=dict)  # lease id → route


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

    def route_of(self, number: str, lease_id: int) -> dict[str, Any] | None:
        """The route of a lease on the number (None when the facts do not have it)."""
        found = self.facts.get(number)
        return found.routes.get(lease_id) if found else None


class RegistryCache:
    def __init__(
        self,
        db: Database,
        box: SecretBox,
        ttl: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.box = box  # signing secrets are stored sealed; opened once as they are loaded
        self.ttl = ttl
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, NumberFacts | None]] = {}
        self._sessions: tuple[float, bool] | None = None
        self._default_routes: dict[int, tuple[float, dict[str, Any] | None]] = {}
        self._secrets: dict[int, tuple[float, str | None]] = {}
        # one read at a time: a burst of deliveries that all miss share the first's answer
        self._secrets_loading = asyncio.Lock()
        self._secrets_generation = 0  # bumped when secrets are forgotten

    def invalidate(self, number: str | None = None) -> None:
        """Forget a number's facts, or everything (None: customer settings changed)."""
        if number is None:
            self._cache.clear()
            self._sessions = None
            self._default_routes.clear()
            self._secrets.clear()
            self._secrets_generation += 1
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

    async def for_messages(
        self, messages: Sequence[tuple[str, str]], now: datetime
    ) -> LoadedRegistry:
        """The facts for routing every (recipient, sender) given, in one read at most."""
        candidates = list(dict.fromkeys(c for r, _ in messages for c in number_candidates(r)))
        registry = LoadedRegistry({})
        if self._fresh(candidates) and not self._needs_phones(messages, candidates):
            registry.facts.update(self._cached_facts(candidates))
            return registry
        async with self.db.read() as conn:
            registry.facts.update({f.number.number: f for f in await self._facts(conn, candidates)})
            sessions = await self._sessions_in_use(conn)
            for recipient, sender in messages:
                for digits in number_candidates(recipient):
                    if digits not in registry.facts:
                        continue
                    sub = recipient[len(digits) :]
                    if sub and (digits, sub) not in registry.dialogs:
                        row = await repo.dialog_owner(conn, digits, sub, now)
                        if row is not None:
                            owner = DialogOwner(row.customer_id, row.lease_id)
                            registry.dialogs[(digits, sub)] = owner
                    if sessions and (digits, sender) not in registry.sessions:
                        found = await repo.session_candidates(conn, digits, sender, now)
                        registry.sessions[(digits, sender)] = found
        return registry

    async def for_message(self, recipient: str, sender: str, now: datetime) -> LoadedRegistry:
        return await self.for_messages([(recipient, sender)], now)

    def _fresh(self, candidates: Sequence[str]) -> bool:
        now = self.monotonic()
        return all(c in self._cache and self._cache[c][0] >= now for c in candidates) and (
            self._sessions is not None and self._sessions[0] >= now
        )

    def _needs_phones(self, messages: Sequence[tuple[str, str]], candidates: list[str]) -> bool:
        """Whether a dialog or session lookup is due (the per-phone facts, never cached)."""
        assert self._sessions is not None
        known = {c for c in candidates if self._cache[c][1] is not None}
        if self._sessions[1] and known:
            return True
        return any(
            digits in known and len(recipient) > len(digits)
            for recipient, _ in messages
            for digits in number_candidates(recipient)
        )

    def _cached_facts(self, candidates: Sequence[str]) -> dict[str, NumberFacts]:
        return {c: f for c in candidates if (f := self._cache[c][1]) is not None}

    async def signing_secret(self, customer_id: int | None) -> str | None:
        """The customer's webhook signing secret (cached like the numbers, opened).

        A secret no configured key opens raises SecretKeyError (the delivery fails with
        that message and is retried); the start-up check makes that rare (a node with
        another key)."""
        if customer_id is None:
            return None
        entry = self._secrets.get(customer_id)
        if entry is None or entry[0] < self.monotonic():
            async with self._secrets_loading:
                now = self.monotonic()
                entry = self._secrets.get(customer_id)
                if entry is None or entry[0] < now:
                    generation = self._secrets_generation
                    async with self.db.read() as conn:
                        found = await repo.signing_secrets_of(conn, [customer_id])
                    stored = found.get(customer_id)
                    entry = (now + self.ttl, None if stored is None else self.box.open(stored))
                    if generation == self._secrets_generation:  # not rotated meanwhile
                        self._secrets[customer_id] = entry
        return entry[1]

    async def default_routes(self, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Each customer's default route where it set one (cached like the numbers)."""
        now = self.monotonic()
        routes = self._default_routes
        missing = [c for c in customer_ids if c not in routes or routes[c][0] < now]
        if missing:
            async with self.db.read() as conn:
                found = await repo.default_routes_of(conn, sorted(set(missing)))
            for customer_id in missing:
                self._default_routes[customer_id] = (now + self.ttl, found.get(customer_id))
        return {c: route for c in customer_ids if (route := self._default_routes[c][1]) is not None}

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
            row.segment_price_ore,
        )
        holders = {}
        keywords = []
        routes: dict[int, dict[str, Any]] = {}
        for key in await repo.number_snapshot(conn, row.number):
            routes[key.lease_id] = dict(key.route)
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
            number,
            row.help_text,
            bool(row.reply_unknown),
            holders,
            tuple(sorted(keywords)),
            routes,
        )
