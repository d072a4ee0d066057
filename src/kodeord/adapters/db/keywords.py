"""SQL of keyword leasing: short numbers, reserved words, leases and their words
(app/keywords/ports.py has the Protocols).

A lease row stays as history when the lease ends; its words (`lease_keywords`) go, so the
unique (number, fold) constraint is what settles two customers leasing one word at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.db.schema import (
    keyword_leases,
    lease_keywords,
    reserved_words,
    short_numbers,
)
from kodeord.app.keywords.records import (
    LIVE,
    HeldKey,
    KeywordTaken,
    Lease,
    LeaseKey,
    LeaseStatus,
    NewLease,
    ReservedWord,
)
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routes import Route, route_from_json

_LIVE = sorted(status.value for status in LIVE)


def short_number(row: Row[Any]) -> ShortNumber:
    return ShortNumber(
        number=row.number,
        mode=NumberMode(row.mode),
        owner_customer_id=row.owner_customer_id,
        premium=row.premium,
        monthly_fee_ore=row.monthly_fee_ore,
        setup_fee_ore=row.setup_fee_ore,
        keyword_fee_ore=row.keyword_fee_ore,
        segment_price_ore=row.segment_price_ore,
    )


class NumberRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, number: str) -> ShortNumber | None:
        query = select(short_numbers).where(short_numbers.c.number == number)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else short_number(row)

    async def add(self, number: ShortNumber, now: datetime) -> bool:
        values = {
            "number": number.number,
            "mode": number.mode.value,
            "owner_customer_id": number.owner_customer_id,
            "premium": number.premium,
            "monthly_fee_ore": number.monthly_fee_ore,
            "setup_fee_ore": number.setup_fee_ore,
            "keyword_fee_ore": number.keyword_fee_ore,
            "segment_price_ore": number.segment_price_ore,
            "created_at": now,
        }
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(short_numbers).values(**values))
        except IntegrityError:
            return False
        return True

    async def all(self, usable_by: int | None = None) -> list[ShortNumber]:
        query = select(short_numbers).order_by(short_numbers.c.number)
        if usable_by is not None:
            query = query.where(
                (short_numbers.c.mode == NumberMode.SHARED.value)
                | (short_numbers.c.owner_customer_id == usable_by)
            )
        return [short_number(row) for row in (await self._conn.execute(query)).all()]


class ReservedWordRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def all(self) -> list[ReservedWord]:
        query = select(reserved_words).order_by(reserved_words.c.word)
        return [ReservedWord(r.word, r.created_at) for r in (await self._conn.execute(query))]

    async def add(self, word: str, now: datetime) -> bool:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(reserved_words).values(word=word, created_at=now))
        except IntegrityError:
            return False
        return True

    async def remove(self, word: str) -> bool:
        result = await self._conn.execute(
            delete(reserved_words).where(reserved_words.c.word == word)
        )
        return result.rowcount > 0


def lease_record(row: Row[Any]) -> Lease:
    return Lease(
        id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        keyword=row.keyword,
        aliases=tuple(row.aliases),
        status=LeaseStatus(row.status),
        route=route_from_json(row.route),
        monthly_fee_ore=row.monthly_fee_ore,
        created_at=row.created_at,
        released_at=row.released_at,
        term_ends_at=row.term_ends_at,
        cancel_at_term_end=bool(row.cancel_at_term_end),
        billed_months=row.billed_months,
        allow_digit_suffix=bool(row.allow_digit_suffix),
    )


def _lease_values(lease: NewLease) -> dict[str, Any]:
    return {
        "number": lease.number,
        "customer_id": lease.customer_id,
        "keyword": lease.keys[0].canonical,
        "aliases": [key.canonical for key in lease.keys[1:]],
        "status": LeaseStatus.ACTIVE.value,
        "route": lease.route.to_json(),
        "monthly_fee_ore": lease.monthly_fee_ore,
        "created_at": lease.created_at,
        "allow_digit_suffix": False,
        "term_ends_at": lease.term_ends_at,
        "cancel_at_term_end": False,
        "billed_months": 1,
    }


def _key_rows(lease_id: int, lease: NewLease) -> list[dict[str, Any]]:
    return [
        {
            "lease_id": lease_id,
            "number": lease.number,
            "canonical": key.canonical,
            "fold": key.fold,
            "is_alias": index > 0,
        }
        for index, key in enumerate(lease.keys)
    ]


class LeaseRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def get(self, lease_id: int) -> Lease | None:
        query = select(keyword_leases).where(keyword_leases.c.id == lease_id)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else lease_record(row)

    async def all(self, customer_id: int | None, include_released: bool) -> list[Lease]:
        query = select(keyword_leases).order_by(keyword_leases.c.id)
        if customer_id is not None:
            query = query.where(keyword_leases.c.customer_id == customer_id)
        if not include_released:
            query = query.where(keyword_leases.c.status.in_(_LIVE))
        return [lease_record(row) for row in (await self._conn.execute(query)).all()]

    async def add(self, lease: NewLease) -> int:
        query = insert(keyword_leases).values(**_lease_values(lease)).returning(keyword_leases.c.id)
        lease_id = int((await self._conn.execute(query)).scalar_one())
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(lease_keywords), _key_rows(lease_id, lease))
        except IntegrityError as exc:
            raise KeywordTaken from exc
        return lease_id

    async def add_many(self, leases: Sequence[NewLease]) -> list[int]:
        ids = await bulk.insert_with_ids(
            self._conn, keyword_leases, [_lease_values(lease) for lease in leases]
        )
        keys = [
            row
            for lease_id, lease in zip(ids, leases, strict=True)
            for row in _key_rows(lease_id, lease)
        ]
        await bulk.insert_rows(self._conn, lease_keywords, keys)
        return ids

    async def holders(self, number: str, folds: Sequence[str]) -> dict[str, int]:
        query = (
            select(lease_keywords.c.fold, keyword_leases.c.customer_id)
            .join(keyword_leases, keyword_leases.c.id == lease_keywords.c.lease_id)
            .where(lease_keywords.c.number == number, lease_keywords.c.fold.in_(list(folds)))
        )
        return {row.fold: row.customer_id for row in (await self._conn.execute(query)).all()}

    async def all_holders(self) -> dict[tuple[str, str], int]:
        query = select(
            lease_keywords.c.number, lease_keywords.c.fold, keyword_leases.c.customer_id
        ).join(keyword_leases, keyword_leases.c.id == lease_keywords.c.lease_id)
        rows = (await self._conn.execute(query)).all()
        return {(str(r.number), str(r.fold)): int(r.customer_id) for r in rows}

    async def lease_holding(self, number: str, fold: str) -> int | None:
        query = select(lease_keywords.c.lease_id).where(
            lease_keywords.c.number == number, lease_keywords.c.fold == fold
        )
        found = await self._conn.scalar(query)
        return None if found is None else int(found)

    async def keys(self, lease_id: int) -> list[LeaseKey]:
        query = select(lease_keywords.c.fold, lease_keywords.c.canonical).where(
            lease_keywords.c.lease_id == lease_id
        )
        return [LeaseKey(fold, canonical) for fold, canonical in await self._conn.execute(query)]

    async def held_keys(self, lease_ids: Sequence[int] | None) -> list[HeldKey]:
        query = (
            select(
                lease_keywords.c.lease_id,
                lease_keywords.c.number,
                lease_keywords.c.canonical,
                keyword_leases.c.customer_id,
            )
            .join(keyword_leases, keyword_leases.c.id == lease_keywords.c.lease_id)
            .where(keyword_leases.c.status.in_(_LIVE))
        )
        if lease_ids is not None:
            query = query.where(lease_keywords.c.lease_id.in_(list(lease_ids)))
        rows = (await self._conn.execute(query)).all()
        return [HeldKey(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def release(self, lease_id: int, now: datetime) -> None:
        await self._conn.execute(
            delete(lease_keywords).where(lease_keywords.c.lease_id == lease_id)
        )
        await self._update(lease_id, status=LeaseStatus.RELEASED.value, released_at=now)

    async def set_route(self, lease_id: int, route: Route) -> None:
        await self._update(lease_id, route=route.to_json())

    async def set_status(self, lease_id: int, status: LeaseStatus) -> None:
        await self._update(lease_id, status=status.value)

    async def set_cancelled(self, lease_id: int, cancelled: bool) -> None:
        await self._update(lease_id, cancel_at_term_end=cancelled)

    async def set_holder(self, lease_id: int, customer_id: int, route: Route) -> None:
        await self._update(lease_id, customer_id=customer_id, route=route.to_json())

    async def start_term(self, lease_id: int, term_ends_at: datetime) -> None:
        await self._update(
            lease_id, term_ends_at=term_ends_at, billed_months=1, cancel_at_term_end=False
        )

    async def set_term(
        self, lease_id: int, term_ends_at: datetime, billed_months: int | None = None
    ) -> None:
        values: dict[str, Any] = {"term_ends_at": term_ends_at}
        if billed_months is not None:
            values["billed_months"] = billed_months
        await self._update(lease_id, **values)

    async def without_term(self) -> list[tuple[int, datetime]]:
        query = select(keyword_leases.c.id, keyword_leases.c.created_at).where(
            keyword_leases.c.status.in_(_LIVE), keyword_leases.c.term_ends_at.is_(None)
        )
        return [(int(i), created) for i, created in (await self._conn.execute(query)).all()]

    async def due(self, now: datetime) -> list[Lease]:
        query = (
            select(keyword_leases)
            .where(keyword_leases.c.status.in_(_LIVE), keyword_leases.c.term_ends_at <= now)
            .with_for_update(skip_locked=True)  # another node's housekeeping has them
        )
        return [lease_record(row) for row in (await self._conn.execute(query)).all()]

    async def _update(self, lease_id: int, **values: Any) -> None:
        await self._conn.execute(
            update(keyword_leases).where(keyword_leases.c.id == lease_id).values(**values)
        )
