"""The router's view of the database: the facts `domain.routing.route` asks for.

The router is pure and synchronous, so the facts for a batch of messages are loaded
before it runs: the short numbers (and the number a dialog-ID address starts with), the
keywords on them with each lease's route, each number's own texts (domain/texts.py), the
dialog and session owners for the phones, the customers' default routes, the suspended
customers. Numbers and customers are cached for `ttl` seconds (default 1 s) and dropped
at once when this process changes them, so a burst of a TV vote costs one keyword query
per second, not one per message, and a batch whose facts are all cached touches no
database at all; another node's change is seen within the TTL. Signing secrets are
stored sealed and opened as they are loaded, not per message.

Changes this process makes reach the cache through `RoutingChanges` (given in the
constructor): every public method first drops what changed since it last looked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kodeord.app.keywords.changes import RoutingChanges
from kodeord.app.keywords.ports import RegistryTx, RoutingFacts
from kodeord.app.keywords.records import LeaseStatus, RoutedNumber
from kodeord.app.ports import SecretSealer, Storage
from kodeord.domain.numbers import ShortNumber
from kodeord.domain.routing import DialogOwner, KeywordHolder, number_candidates
from kodeord.domain.texts import NumberTexts


@dataclass(frozen=True, slots=True)
class NumberFacts:
    number: ShortNumber
    help_text: str | None
    reply_unknown: bool
    holders: dict[str, KeywordHolder]
    keywords: tuple[str, ...]
    routes: dict[int, dict[str, Any]] = field(default_factory=dict)  # lease id → route
    texts: NumberTexts = field(default_factory=NumberTexts)


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

    def texts(self, number: str) -> NumberTexts:
        found = self.facts.get(number)
        return found.texts if found else NumberTexts()

    def route_of(self, number: str, lease_id: int) -> dict[str, Any] | None:
        """The route of a lease on the number (None when the facts do not have it)."""
        found = self.facts.get(number)
        return found.routes.get(lease_id) if found else None


class RegistryCache:
    def __init__(
        self,
        storage: Storage[RegistryTx],
        box: SecretSealer,
        changes: RoutingChanges,
        ttl: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.storage = storage
        self.box = box  # signing secrets are stored sealed; opened once as they are loaded
        self.changes = changes
        self._seen = changes.position
        self.ttl = ttl
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, NumberFacts | None]] = {}
        self._sessions: tuple[float, bool] | None = None
        self._default_routes: dict[int, tuple[float, dict[str, Any] | None]] = {}
        self._secrets: dict[int, tuple[float, str | None]] = {}
        self._suspended: tuple[float, frozenset[int]] | None = None
        # one read at a time: a burst of deliveries that all miss share the first's answer
        self._secrets_loading = asyncio.Lock()
        self._secrets_generation = 0  # bumped when secrets are forgotten

    def invalidate(self, number: str | None = None) -> None:
        """Forget a number's facts, or everything (None: customer settings changed)."""
        if number is None:
            self._cache.clear()
            self._sessions = None
            self._default_routes.clear()
            self._suspended = None
            self._secrets.clear()
            self._secrets_generation += 1
        else:
            self._cache.pop(number, None)

    def _catch_up(self) -> None:
        """Forget what this process changed since the cache last looked."""
        self._seen, changed = self.changes.since(self._seen)
        for number in changed:
            self.invalidate(number)

    async def _sessions_in_use(self, facts: RoutingFacts) -> bool:
        """Whether any customer uses session routing (cached like the keywords), so the
        per-phone session query is skipped while nobody does."""
        now = self.monotonic()
        if self._sessions is None or self._sessions[0] < now:
            self._sessions = (now + self.ttl, await facts.any_session_routing())
        return self._sessions[1]

    def cached(self, number: str | None) -> NumberFacts | None:
        """The facts about a number as last loaded, if any (no database access)."""
        self._catch_up()
        entry = self._cache.get(number or "")
        return entry[1] if entry else None

    async def for_messages(
        self, messages: Sequence[tuple[str, str]], now: datetime
    ) -> LoadedRegistry:
        """The facts for routing every (recipient, sender) given, in one read at most."""
        self._catch_up()
        candidates = list(dict.fromkeys(c for r, _ in messages for c in number_candidates(r)))
        registry = LoadedRegistry({})
        if self._fresh(candidates) and not self._needs_phones(messages, candidates):
            registry.facts.update(self._cached_facts(candidates))
            return registry
        async with self.storage.read() as tx:
            facts = tx.routing_facts
            registry.facts.update(
                {f.number.number: f for f in await self._facts(facts, candidates)}
            )
            sessions = await self._sessions_in_use(facts)
            for recipient, sender in messages:
                await self._phone_facts(facts, registry, recipient, sender, sessions, now)
        return registry

    async def _phone_facts(
        self,
        facts: RoutingFacts,
        registry: LoadedRegistry,
        recipient: str,
        sender: str,
        sessions: bool,
        now: datetime,
    ) -> None:
        """The dialog owner of a dialog-ID address and the session candidates of a phone."""
        for digits in number_candidates(recipient):
            if digits not in registry.facts:
                continue
            sub = recipient[len(digits) :]
            if sub and (digits, sub) not in registry.dialogs:
                holder = await facts.dialog_owner(digits, sub, now)
                if holder is not None:
                    owner = DialogOwner(holder.customer_id, holder.lease_id)
                    registry.dialogs[(digits, sub)] = owner
            if sessions and (digits, sender) not in registry.sessions:
                found = await facts.session_candidates(digits, sender, now)
                registry.sessions[(digits, sender)] = found

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
        self._catch_up()
        entry = self._secrets.get(customer_id)
        if entry is None or entry[0] < self.monotonic():
            async with self._secrets_loading:
                now = self.monotonic()
                entry = self._secrets.get(customer_id)
                if entry is None or entry[0] < now:
                    generation = self._secrets_generation
                    async with self.storage.read() as tx:
                        found = await tx.routing_facts.signing_secrets([customer_id])
                    stored = found.get(customer_id)
                    entry = (now + self.ttl, None if stored is None else self.box.open(stored))
                    self._catch_up()  # a rotation told meanwhile bumps the generation
                    if generation == self._secrets_generation:  # not rotated meanwhile
                        self._secrets[customer_id] = entry
        return entry[1]

    async def default_routes(self, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Each customer's default route where it set one (cached like the numbers)."""
        self._catch_up()
        now = self.monotonic()
        routes = self._default_routes
        missing = [c for c in customer_ids if c not in routes or routes[c][0] < now]
        if missing:
            async with self.storage.read() as tx:
                found = await tx.routing_facts.default_routes(sorted(set(missing)))
            for customer_id in missing:
                self._default_routes[customer_id] = (now + self.ttl, found.get(customer_id))
        return {c: route for c in customer_ids if (route := self._default_routes[c][1]) is not None}

    async def suspended_customers(self) -> frozenset[int]:
        """The customers the provider has suspended (cached like the numbers)."""
        self._catch_up()
        now = self.monotonic()
        if self._suspended is None or self._suspended[0] < now:
            async with self.storage.read() as tx:
                found = await tx.routing_facts.suspended_customers()
            self._suspended = (now + self.ttl, frozenset(found))
        return self._suspended[1]

    async def _facts(self, facts: RoutingFacts, candidates: list[str]) -> list[NumberFacts]:
        now = self.monotonic()
        missing = [c for c in candidates if c not in self._cache or self._cache[c][0] < now]
        if missing:
            found = {n.number.number: n for n in await facts.numbers(missing)}
            for digits in missing:
                number = found.get(digits)
                loaded = await self._load(facts, number) if number is not None else None
                self._cache[digits] = (now + self.ttl, loaded)
        return [f for c in candidates if (f := self._cache[c][1]) is not None]

    async def _load(self, facts: RoutingFacts, number: RoutedNumber) -> NumberFacts:
        holders = {}
        keywords = []
        routes: dict[int, dict[str, Any]] = {}
        for key in await facts.keys_on(number.number.number):
            routes[key.lease_id] = dict(key.route)
            holders[key.fold] = KeywordHolder(
                lease_id=key.lease_id,
                customer_id=key.customer_id,
                keyword=key.keyword,
                matched=key.canonical,
                allow_digit_suffix=key.allow_digit_suffix,
                suspended=key.status is LeaseStatus.SUSPENDED,
            )
            keywords.append(key.canonical)
        return NumberFacts(
            number.number,
            number.help_text,
            number.reply_unknown,
            holders,
            tuple(sorted(keywords)),
            routes,
            NumberTexts(number.reply_language, await facts.texts_on(number.number.number)),
        )
