"""The keyword registry index of one process: every leased keyword per number, in memory,
for the availability check's lookalike, similar and sounds-like lookups
(domain/registry_index.py), plus the protected brands.

Loaded from the database on first use. It follows changes through the leases' history
(`keyword_events`): before each check, the events since the last one seen are read (one
small query) and the leases they name are reloaded, so every node sees every node's
leases, releases and transfers. Brands are reread at most once a second and at once when
this process changes them. `taken` stays exact regardless: the check asks the database
who holds the word's fold key, and the unique (number, fold) constraint settles races.
"""

from __future__ import annotations

import asyncio
import time
import weakref

from kodeord.app.keywords.ports import KeywordsTx
from kodeord.app.keywords.records import HeldKey
from kodeord.domain.registry_index import (
    Brand,
    Brands,
    KeywordEntry,
    KeywordLookup,
    NearKeyword,
    NumberKeywords,
)

BRANDS_TTL = 1.0
NO_HOLDER = -1  # a brand the provider protects for nobody in particular


class KeywordIndex:
    def __init__(self) -> None:
        self.numbers: dict[str, NumberKeywords] = {}
        self.brands = Brands()
        self._lease_keys: dict[int, tuple[str, list[str]]] = {}  # lease → number, canonicals
        self._last_event = -1
        self._brands_until = 0.0
        self._lock = asyncio.Lock()

    def brands_changed(self, _number: str | None = None) -> None:
        self._brands_until = 0.0

    def number(self, digits: str) -> NumberKeywords:
        return self.numbers.get(digits) or NumberKeywords()

    def lookup(self, digits: str, exact_holders: dict[str, int | None]) -> KeywordLookup:
        """The keywords on a number for one check, with the holders of the fold keys in
        `exact_holders` (those of the words checked) as the database just said."""
        return _ExactHolders(self.number(digits), exact_holders)

    async def refresh(self, tx: KeywordsTx) -> None:
        """Bring the index up to date with the database (cheap when nothing changed)."""
        async with self._lock:
            if self._last_event < 0:
                await self._load(tx)
            else:
                await self._follow(tx)
            if time.monotonic() >= self._brands_until:
                self.brands = Brands(
                    Brand(
                        b.name, NO_HOLDER if b.holder_customer_id is None else b.holder_customer_id
                    )
                    for b in await tx.brands.all()
                )
                self._brands_until = time.monotonic() + BRANDS_TTL

    async def _load(self, tx: KeywordsTx) -> None:
        self._last_event = await tx.lease_history.last_id()
        by_number: dict[str, list[tuple[str, int, int]]] = {}
        for key in await tx.leases.held_keys(None):
            by_number.setdefault(key.number, []).append(
                (key.canonical, key.customer_id, key.lease_id)
            )
            self._remember(key)
        self.numbers = {n: NumberKeywords.build(keys) for n, keys in by_number.items()}

    async def _follow(self, tx: KeywordsTx) -> None:
        events = await tx.lease_history.since(self._last_event)
        if not events:
            return
        self._last_event = max(event.id for event in events)
        leases = sorted({event.lease_id for event in events})
        for lease_id in leases:
            number, canonicals = self._lease_keys.pop(lease_id, ("", []))
            for canonical in canonicals:
                self.numbers[number].remove(canonical)
        for key in await tx.leases.held_keys(leases):
            self.numbers.setdefault(key.number, NumberKeywords()).add(
                key.canonical, key.customer_id, key.lease_id
            )
            self._remember(key)

    def _remember(self, key: HeldKey) -> None:
        _, canonicals = self._lease_keys.setdefault(key.lease_id, (key.number, []))
        canonicals.append(key.canonical)


# One index per storage in this process: a use case finds it by the storage it works on
# (`index_of(ctx.storage)`), so the kernel's Context needs to know nothing of keywords.
_INDEXES: weakref.WeakKeyDictionary[object, KeywordIndex] = weakref.WeakKeyDictionary()


def index_of(storage: object) -> KeywordIndex:
    """The keyword index of this process over `storage` (built on first use)."""
    found = _INDEXES.get(storage)
    if found is None:
        found = _INDEXES[storage] = KeywordIndex()
    return found


class _ExactHolders:
    """An index whose answer to `holder` is replaced for some fold keys (read from the
    database in the check's own transaction); everything else is the index's."""

    def __init__(self, index: NumberKeywords, holders: dict[str, int | None]) -> None:
        self._index = index
        self._holders = holders

    def holder(self, fold: str) -> KeywordEntry | None:
        if fold not in self._holders:
            return self._index.holder(fold)
        customer_id = self._holders[fold]
        if customer_id is None:
            return None
        entry = self._index.holder(fold)
        if entry is not None and entry.customer_id == customer_id:
            return entry
        return KeywordEntry(fold, fold, customer_id, 0)  # leased on another node just now

    def lookalikes(self, skeleton: str) -> list[KeywordEntry]:
        return self._index.lookalikes(skeleton)

    def sounding_like(self, sound: str) -> list[KeywordEntry]:
        return self._index.sounding_like(sound)

    def similar(self, fold: str) -> list[NearKeyword]:
        return self._index.similar(fold)
