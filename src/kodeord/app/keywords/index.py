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
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import brands, keyword_events, keyword_leases, lease_keywords
from kodeord.domain.registry_index import (
    Brand,
    Brands,
    KeywordEntry,
    KeywordLookup,
    NearKeyword,
    NumberKeywords,
)

LIVE = ("active", "suspended")
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

    async def refresh(self, conn: AsyncConnection) -> None:
        """Bring the index up to date with the database (cheap when nothing changed)."""
        async with self._lock:
            if self._last_event < 0:
                await self._load(conn)
            else:
                await self._follow(conn)
            if time.monotonic() >= self._brands_until:
                rows = (
                    await conn.execute(select(brands.c.name, brands.c.holder_customer_id))
                ).all()
                self.brands = Brands(
                    Brand(str(name), NO_HOLDER if holder is None else int(holder))
                    for name, holder in rows
                )
                self._brands_until = time.monotonic() + BRANDS_TTL

    async def _load(self, conn: AsyncConnection) -> None:
        self._last_event = int(
            await conn.scalar(select(func.coalesce(func.max(keyword_events.c.id), 0))) or 0
        )
        by_number: dict[str, list[tuple[str, int, int]]] = {}
        for row in await self._live_keys(conn, None):
            by_number.setdefault(row.number, []).append(
                (row.canonical, row.customer_id, row.lease_id)
            )
            self._remember(row)
        self.numbers = {n: NumberKeywords.build(keys) for n, keys in by_number.items()}

    async def _follow(self, conn: AsyncConnection) -> None:
        query = select(keyword_events.c.id, keyword_events.c.lease_id).where(
            keyword_events.c.id > self._last_event
        )
        events = (await conn.execute(query)).all()
        if not events:
            return
        self._last_event = max(int(event.id) for event in events)
        leases = sorted({int(event.lease_id) for event in events})
        for lease_id in leases:
            number, canonicals = self._lease_keys.pop(lease_id, ("", []))
            for canonical in canonicals:
                self.numbers[number].remove(canonical)
        for row in await self._live_keys(conn, leases):
            self.numbers.setdefault(row.number, NumberKeywords()).add(
                row.canonical, row.customer_id, row.lease_id
            )
            self._remember(row)

    def _remember(self, row: Any) -> None:
        _, canonicals = self._lease_keys.setdefault(int(row.lease_id), (row.number, []))
        canonicals.append(row.canonical)

    async def _live_keys(self, conn: AsyncConnection, lease_ids: list[int] | None) -> list[Any]:
        query = (
            select(
                lease_keywords.c.number,
                lease_keywords.c.canonical,
                lease_keywords.c.lease_id,
                keyword_leases.c.customer_id,
            )
            .join(keyword_leases, keyword_leases.c.id == lease_keywords.c.lease_id)
            .where(keyword_leases.c.status.in_(LIVE))
        )
        if lease_ids is not None:
            query = query.where(lease_keywords.c.lease_id.in_(lease_ids))
        return list((await conn.execute(query)).all())


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
