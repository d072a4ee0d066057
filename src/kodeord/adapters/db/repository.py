"""All SQL of the foundation: customers, keys, numbers, reserved words, leases and the
audit log.

Functions take an open connection (from `Database.transaction()` or `.read()`) and
return domain values or plain rows; they never commit (the caller's unit of work does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import (
    api_keys,
    audit_log,
    customer_settings,
    customers,
    keyword_leases,
    lease_keywords,
    reserved_words,
    short_numbers,
)
from kodeord.domain.numbers import NumberMode, ShortNumber


class KeywordConflict(Exception):
    """Another lease took one of the fold keys between our check and our insert."""


# --- customers and keys -------------------------------------------------------------


async def insert_customer(conn: AsyncConnection, name: str, now: datetime) -> Row[Any]:
    result = await conn.execute(
        insert(customers).values(name=name, created_at=now).returning(*customers.c)
    )
    return result.one()


async def list_customers(conn: AsyncConnection) -> Sequence[Row[Any]]:
    return (await conn.execute(select(customers).order_by(customers.c.id))).all()


async def get_customer(conn: AsyncConnection, customer_id: int) -> Row[Any] | None:
    query = select(customers).where(customers.c.id == customer_id)
    return (await conn.execute(query)).one_or_none()


async def insert_api_key(
    conn: AsyncConnection, customer_id: int, key_hash: str, now: datetime, name: str | None = None
) -> int:
    values = {"customer_id": customer_id, "key_hash": key_hash, "created_at": now, "name": name}
    result = await conn.execute(insert(api_keys).values(**values).returning(api_keys.c.id))
    return int(result.scalar_one())


async def get_api_key(conn: AsyncConnection, key_id: int) -> Row[Any] | None:
    """The key if it is not revoked (what authentication may accept)."""
    query = select(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
    return (await conn.execute(query)).one_or_none()


async def find_api_key(conn: AsyncConnection, key_id: int) -> Row[Any] | None:
    """The key, revoked or not."""
    return (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).one_or_none()


async def list_api_keys(conn: AsyncConnection, customer_id: int) -> Sequence[Row[Any]]:
    query = select(api_keys).where(api_keys.c.customer_id == customer_id).order_by(api_keys.c.id)
    return (await conn.execute(query)).all()


async def update_api_key(conn: AsyncConnection, key_id: int, **values: Any) -> None:
    await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(**values))


async def revoke_api_key(conn: AsyncConnection, key_id: int, now: datetime) -> bool:
    """Revoke the key unless it is revoked already; whether this call revoked it."""
    result = await conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount > 0


async def send_limit_of(conn: AsyncConnection, customer_id: int) -> Any:
    """The customer's own sending limit (send_rate_per_second, send_burst), if set."""
    query = select(customer_settings.c.send_rate_per_second, customer_settings.c.send_burst).where(
        customer_settings.c.customer_id == customer_id
    )
    return (await conn.execute(query)).one_or_none()


# --- audit log ----------------------------------------------------------------------


async def insert_audit_entry(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(audit_log).values(**values).returning(audit_log.c.id))
    return int(result.scalar_one())


async def list_audit_entries(
    conn: AsyncConnection,
    *,
    since: datetime | None,
    action: str | None,
    customer_id: int | None,
    before_id: int | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """Newest first; `before_id` pages back."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if customer_id is not None:
        query = query.where(audit_log.c.customer_id == customer_id)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    return (await conn.execute(query)).all()


# --- short numbers ------------------------------------------------------------------


def _number(row: Row[Any]) -> ShortNumber:
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


async def insert_number(conn: AsyncConnection, number: ShortNumber, now: datetime) -> bool:
    """Store a new short number; False when the number exists already."""
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
        async with conn.begin_nested():
            await conn.execute(insert(short_numbers).values(**values))
    except IntegrityError:
        return False
    return True


async def get_number(conn: AsyncConnection, number: str) -> ShortNumber | None:
    row = (
        await conn.execute(select(short_numbers).where(short_numbers.c.number == number))
    ).one_or_none()
    return None if row is None else _number(row)


async def list_numbers(conn: AsyncConnection, usable_by: int | None = None) -> list[ShortNumber]:
    """All numbers, or those a customer can use (shared ones and its own dedicated ones)."""
    query = select(short_numbers).order_by(short_numbers.c.number)
    if usable_by is not None:
        query = query.where(
            (short_numbers.c.mode == NumberMode.SHARED.value)
            | (short_numbers.c.owner_customer_id == usable_by)
        )
    return [_number(row) for row in (await conn.execute(query)).all()]


# --- reserved words -----------------------------------------------------------------


async def list_reserved_words(conn: AsyncConnection) -> list[Row[Any]]:
    query = select(reserved_words).order_by(reserved_words.c.word)
    return list((await conn.execute(query)).all())


async def insert_reserved_word(conn: AsyncConnection, word: str, now: datetime) -> bool:
    try:
        async with conn.begin_nested():
            await conn.execute(insert(reserved_words).values(word=word, created_at=now))
    except IntegrityError:
        return False
    return True


async def delete_reserved_word(conn: AsyncConnection, word: str) -> bool:
    result = await conn.execute(delete(reserved_words).where(reserved_words.c.word == word))
    return result.rowcount > 0


# --- keyword leases -----------------------------------------------------------------


async def holders_by_fold(
    conn: AsyncConnection, number: str, folds: Iterable[str]
) -> dict[str, int]:
    """Which customer holds each of these fold keys on the number."""
    query = (
        select(lease_keywords.c.fold, keyword_leases.c.customer_id)
        .join(keyword_leases, keyword_leases.c.id == lease_keywords.c.lease_id)
        .where(lease_keywords.c.number == number, lease_keywords.c.fold.in_(list(folds)))
    )
    return {row.fold: row.customer_id for row in (await conn.execute(query)).all()}


async def insert_lease(
    conn: AsyncConnection,
    *,
    number: str,
    customer_id: int,
    keywords: Sequence[tuple[str, str]],
    monthly_fee_ore: int,
    route: dict[str, Any],
    now: datetime,
) -> Row[Any]:
    """Store an active lease; keywords[0] is the main (canonical, fold), the rest aliases.

    Raises KeywordConflict when a fold key was taken meanwhile (the unique constraint).
    """
    values = {
        "number": number,
        "customer_id": customer_id,
        "keyword": keywords[0][0],
        "aliases": [canonical for canonical, _ in keywords[1:]],
        "status": "active",
        "route": route,
        "monthly_fee_ore": monthly_fee_ore,
        "created_at": now,
    }
    row = (
        await conn.execute(insert(keyword_leases).values(**values).returning(*keyword_leases.c))
    ).one()
    key_rows = [
        {"lease_id": row.id, "number": number, "canonical": c, "fold": f, "is_alias": i > 0}
        for i, (c, f) in enumerate(keywords)
    ]
    try:
        async with conn.begin_nested():
            await conn.execute(insert(lease_keywords), key_rows)
    except IntegrityError as exc:
        raise KeywordConflict from exc
    return row


async def get_lease(conn: AsyncConnection, lease_id: int) -> Row[Any] | None:
    query = select(keyword_leases).where(keyword_leases.c.id == lease_id)
    return (await conn.execute(query)).one_or_none()


async def list_leases(
    conn: AsyncConnection, customer_id: int | None, include_released: bool = False
) -> Sequence[Row[Any]]:
    query = select(keyword_leases).order_by(keyword_leases.c.id)
    if customer_id is not None:
        query = query.where(keyword_leases.c.customer_id == customer_id)
    if not include_released:
        query = query.where(keyword_leases.c.status.in_(("active", "suspended")))
    return (await conn.execute(query)).all()


async def release_lease(conn: AsyncConnection, lease_id: int, now: datetime) -> None:
    await conn.execute(delete(lease_keywords).where(lease_keywords.c.lease_id == lease_id))
    await conn.execute(
        update(keyword_leases)
        .where(keyword_leases.c.id == lease_id)
        .values(status="released", released_at=now)
    )


async def set_route(conn: AsyncConnection, lease_id: int, route: dict[str, Any]) -> None:
    await conn.execute(
        update(keyword_leases).where(keyword_leases.c.id == lease_id).values(route=route)
    )
