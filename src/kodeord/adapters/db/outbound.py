"""SQL for outbound messages: who may send from a number, opt-outs, parts with the
operator's ids, status history. Functions take an open connection and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.db.schema import (
    keyword_leases,
    message_events,
    message_parts,
    messages,
    opt_outs,
)


async def active_leases_of(conn: AsyncConnection, customer_id: int, number: str) -> list[Any]:
    """The customer's active keyword leases on the number (id, keyword, aliases)."""
    query = select(keyword_leases.c.id, keyword_leases.c.keyword, keyword_leases.c.aliases).where(
        keyword_leases.c.customer_id == customer_id,
        keyword_leases.c.number == number,
        keyword_leases.c.status == "active",
    )
    return list((await conn.execute(query)).all())


async def opted_out(conn: AsyncConnection, number: str, phones: Sequence[str]) -> set[str]:
    """Which of the phones opted out of the number (STOPP)."""
    query = select(opt_outs.c.phone).where(
        opt_outs.c.number == number, opt_outs.c.phone.in_(list(phones))
    )
    return {str(phone) for phone in (await conn.execute(query)).scalars()}


async def insert_messages(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[int]:
    return await bulk.insert_with_ids(conn, messages, rows)


async def delete_message(conn: AsyncConnection, message_id: int) -> None:
    await conn.execute(delete(message_events).where(message_events.c.message_id == message_id))
    await conn.execute(delete(messages).where(messages.c.id == message_id))


async def add_events(
    conn: AsyncConnection, events: Sequence[tuple[int, str, str | None]], at: datetime
) -> None:
    """Status history: (message id, status, detail) at one moment."""
    rows = [
        {"message_id": message_id, "status": status, "detail": detail, "at": at}
        for message_id, status, detail in events
    ]
    await bulk.insert_rows(conn, message_events, rows)


async def events_of(conn: AsyncConnection, message_id: int) -> Sequence[Row[Any]]:
    query = (
        select(message_events)
        .where(message_events.c.message_id == message_id)
        .order_by(message_events.c.id)
    )
    return (await conn.execute(query)).all()


async def parts_of(conn: AsyncConnection, message_id: int) -> list[Row[Any]]:
    query = (
        select(message_parts)
        .where(message_parts.c.message_id == message_id)
        .order_by(message_parts.c.seq)
    )
    return list((await conn.execute(query)).all())


_PARTS_OF = (
    select(message_parts)
    .where(message_parts.c.message_id.in_(bindparam("ids", expanding=True)))
    .order_by(message_parts.c.message_id, message_parts.c.seq)
)


async def parts_of_many(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for row in (await conn.execute(_PARTS_OF, {"ids": list(ids)})).all():
        found.setdefault(row.message_id, []).append(row)
    return found


_ADD_PART = insert(message_parts)


async def add_parts(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Submitted parts: message_id, seq, link, operator_ref, status, submitted_at."""
    if rows:
        await conn.execute(_ADD_PART, list(rows))


async def set_statuses(
    conn: AsyncConnection, ids: Sequence[int], status: str, only_from: Sequence[str], **values: Any
) -> set[int]:
    """Move messages to `status` where they are in one of `only_from`; the ids that moved."""
    statement = (
        update(messages)
        .where(messages.c.id.in_(list(ids)), messages.c.status.in_(list(only_from)))
        .values(status=status, **values)
        .returning(messages.c.id)
    )
    return {int(found) for found in (await conn.scalars(statement))}


_PARTS_BY_REF = select(message_parts).where(
    message_parts.c.operator_ref.in_(bindparam("refs", expanding=True))
)


async def part_by_operator_ref(
    conn: AsyncConnection, refs: Sequence[str], link: str | None
) -> Row[Any] | None:
    """The part the operator knows by one of `refs` (on `link` when several match)."""
    rows = list((await conn.execute(_PARTS_BY_REF, {"refs": list(refs)})).all())
    if len(rows) > 1 and link is not None:
        rows = [row for row in rows if row.link == link] or rows
    return max(rows, key=lambda row: row.id) if rows else None


async def set_part_status(
    conn: AsyncConnection, part_id: int, status: str, done_at: datetime
) -> None:
    await conn.execute(
        update(message_parts)
        .where(message_parts.c.id == part_id)
        .values(status=status, done_at=done_at)
    )
