"""SQL of a keyword lease's life: its history (`keyword_events`), quarantine after a
release, protected brands and claims (app/keywords/ports.py has the Protocols).

The history is also the keyword index's change feed: its writers take one advisory lock
(PostgreSQL; SQLite has one writer anyway), so event ids commit in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.db.schema import brands, keyword_claims, keyword_events, keyword_quarantine
from kodeord.app.keywords.records import (
    BrandRecord,
    Claim,
    ClaimStatus,
    EventMark,
    LeaseEvent,
    LeaseKey,
    NewEvent,
)

HISTORY_LOCK = 0x6B6F6465  # "kode": the advisory lock of keyword_events writers


class LeaseHistoryRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def _lock(self) -> None:
        """Make this transaction the only writer of `keyword_events` until it ends, so
        event ids commit in order and the keyword index, which reads events past the last
        id it saw, misses none."""
        if self._conn.dialect.name == "postgresql":
            await self._conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": HISTORY_LOCK}
            )

    async def record(self, events: Sequence[NewEvent]) -> None:
        if not events:
            return
        await self._lock()
        rows = [
            {
                "lease_id": e.lease_id,
                "action": e.action.value,
                "actor": e.actor,
                "detail": e.detail,
                "at": e.at,
            }
            for e in events
        ]
        if len(rows) == 1:
            await self._conn.execute(insert(keyword_events).values(**rows[0]))
        else:
            await bulk.insert_rows(self._conn, keyword_events, rows)

    async def of_lease(self, lease_id: int) -> list[LeaseEvent]:
        query = (
            select(keyword_events)
            .where(keyword_events.c.lease_id == lease_id)
            .order_by(keyword_events.c.id)
        )
        rows = (await self._conn.execute(query)).all()
        return [LeaseEvent(r.action, r.actor, r.detail, r.at) for r in rows]

    async def last_id(self) -> int:
        query = select(func.coalesce(func.max(keyword_events.c.id), 0))
        return int(await self._conn.scalar(query) or 0)

    async def since(self, event_id: int) -> list[EventMark]:
        query = select(keyword_events.c.id, keyword_events.c.lease_id).where(
            keyword_events.c.id > event_id
        )
        rows = (await self._conn.execute(query)).all()
        return [EventMark(int(i), int(lease_id)) for i, lease_id in rows]


class QuarantineRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def held_for_others(
        self, number: str, folds: Sequence[str], customer_id: int, now: datetime
    ) -> list[str]:
        query = select(keyword_quarantine.c.keyword).where(
            keyword_quarantine.c.number == number,
            keyword_quarantine.c.fold.in_(list(folds)),
            keyword_quarantine.c.until > now,
            keyword_quarantine.c.holder_customer_id != customer_id,
        )
        return [str(word) for word in (await self._conn.execute(query)).scalars()]

    async def lift(self, number: str, folds: Sequence[str]) -> None:
        await self._conn.execute(
            delete(keyword_quarantine).where(
                keyword_quarantine.c.number == number, keyword_quarantine.c.fold.in_(list(folds))
            )
        )

    async def put(
        self, number: str, key: LeaseKey, holder_customer_id: int, until: datetime
    ) -> None:
        await self._conn.execute(
            delete(keyword_quarantine).where(
                keyword_quarantine.c.number == number, keyword_quarantine.c.fold == key.fold
            )
        )
        await self._conn.execute(
            insert(keyword_quarantine).values(
                number=number,
                fold=key.fold,
                keyword=key.canonical,
                holder_customer_id=holder_customer_id,
                until=until,
            )
        )


def _brand(row: Row[Any]) -> BrandRecord:
    return BrandRecord(row.id, row.name, row.holder_customer_id, row.created_at)


class BrandRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def all(self) -> list[BrandRecord]:
        rows = (await self._conn.execute(select(brands).order_by(brands.c.name))).all()
        return [_brand(row) for row in rows]

    async def exists(self, name: str) -> bool:
        return await self._conn.scalar(select(brands.c.id).where(brands.c.name == name)) is not None

    async def add(self, name: str, holder_customer_id: int | None, now: datetime) -> BrandRecord:
        values = {"name": name, "holder_customer_id": holder_customer_id, "created_at": now}
        query = insert(brands).values(**values).returning(*brands.c)
        return _brand((await self._conn.execute(query)).one())

    async def remove(self, brand_id: int) -> bool:
        result = await self._conn.execute(delete(brands).where(brands.c.id == brand_id))
        return result.rowcount > 0


def _claim(row: Row[Any]) -> Claim:
    return Claim(
        id=row.id,
        number=row.number,
        keyword=row.keyword,
        lease_id=row.lease_id,
        claimant_customer_id=row.claimant_customer_id,
        reason=row.reason,
        status=ClaimStatus(row.status),
        note=row.note,
        created_at=row.created_at,
        decided_at=row.decided_at,
    )


class ClaimRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, claim_id: int) -> Claim | None:
        query = select(keyword_claims).where(keyword_claims.c.id == claim_id)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else _claim(row)

    async def open_claim(self, lease_id: int, claimant_customer_id: int) -> int | None:
        query = select(keyword_claims.c.id).where(
            keyword_claims.c.lease_id == lease_id,
            keyword_claims.c.claimant_customer_id == claimant_customer_id,
            keyword_claims.c.status == ClaimStatus.OPEN.value,
        )
        found = await self._conn.scalar(query)
        return None if found is None else int(found)

    async def add(
        self,
        number: str,
        keyword: str,
        lease_id: int,
        claimant_customer_id: int,
        reason: str,
        now: datetime,
    ) -> Claim:
        values = {
            "number": number,
            "keyword": keyword,
            "lease_id": lease_id,
            "claimant_customer_id": claimant_customer_id,
            "reason": reason,
            "status": ClaimStatus.OPEN.value,
            "created_at": now,
        }
        query = insert(keyword_claims).values(**values).returning(*keyword_claims.c)
        return _claim((await self._conn.execute(query)).one())

    async def all(self, claimant_customer_id: int | None) -> list[Claim]:
        query = select(keyword_claims).order_by(keyword_claims.c.id.desc())
        if claimant_customer_id is not None:
            query = query.where(keyword_claims.c.claimant_customer_id == claimant_customer_id)
        return [_claim(row) for row in (await self._conn.execute(query)).all()]

    async def decide(
        self, claim_id: int, status: ClaimStatus, note: str | None, now: datetime
    ) -> None:
        await self._conn.execute(
            update(keyword_claims)
            .where(keyword_claims.c.id == claim_id)
            .values(status=status.value, note=note, decided_at=now)
        )
