"""SQL for messages: inbound parts and messages, dedupe, delivery attempts, opt-outs,
dialogs, sessions, signing secrets, operator links and settings.

Functions take an open connection from the caller's unit of work and never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.db.schema import (
    customer_settings,
    delivery_attempts,
    dialogs,
    keyword_leases,
    lease_keywords,
    messages,
    mo_parts,
    mo_seen,
    number_settings,
    operator_links,
    opt_outs,
    short_numbers,
    signing_secrets,
)

# --- long messages arriving in parts -------------------------------------------------


async def lock_part_group(
    conn: AsyncConnection, sender: str, recipient: str, ref: int, total: int
) -> None:
    """Serialise the parts of one long MO until this transaction ends (PostgreSQL).

    Without it two parts arriving at once, in two transactions, would each see only
    itself and neither would assemble the message. SQLite needs nothing: its single
    writer already runs one transaction at a time.
    """
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"{sender}|{recipient}|{ref}|{total}".encode(), digest_size=8)
    key = int.from_bytes(digest.digest(), "big", signed=True)
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


async def add_part(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """Keep one part of a long MO; False when the same part was here already."""
    try:
        async with conn.begin_nested():
            await conn.execute(insert(mo_parts).values(**values))
    except IntegrityError:
        return False
    return True


async def take_parts(
    conn: AsyncConnection,
    sender: str,
    recipient: str,
    ref: int,
    total: int,
    *,
    complete_only: bool = True,
) -> list[Row[Any]] | None:
    """The parts of one long MO in order, removed from the table: once every part is in,
    or (complete_only=False, for housekeeping) whatever came."""
    where = and_(
        mo_parts.c.sender == sender,
        mo_parts.c.recipient == recipient,
        mo_parts.c.ref == ref,
        mo_parts.c.total == total,
    )
    result = await conn.execute(select(mo_parts).where(where).order_by(mo_parts.c.seq))
    rows: list[Row[Any]] = list(result.all())
    if complete_only and len(rows) < total:
        return None
    await conn.execute(delete(mo_parts).where(where))
    return rows


async def stale_part_groups(conn: AsyncConnection, before: datetime) -> Sequence[Any]:
    """(sender, recipient, ref, total) of long MOs whose first part came before `before`."""
    query = (
        select(mo_parts.c.sender, mo_parts.c.recipient, mo_parts.c.ref, mo_parts.c.total)
        .group_by(mo_parts.c.sender, mo_parts.c.recipient, mo_parts.c.ref, mo_parts.c.total)
        .having(func.min(mo_parts.c.received_at) < before)
    )
    return (await conn.execute(query)).all()


# --- duplicates from the operator ----------------------------------------------------


async def seen_since(conn: AsyncConnection, key: str, since: datetime) -> int | None:
    """The message id an identical MO became, if it came after `since`."""
    query = select(mo_seen.c.message_id).where(mo_seen.c.key == key, mo_seen.c.seen_at >= since)
    return (await conn.execute(query)).scalar_one_or_none()


# Statements of the MO hot path, built once (building one costs about as much as running it).
_SEEN_KEYS = select(mo_seen.c.key).where(
    mo_seen.c.key.in_(bindparam("keys", expanding=True)), mo_seen.c.seen_at >= bindparam("since")
)
_MESSAGES_BY_ID = select(messages).where(messages.c.id.in_(bindparam("ids", expanding=True)))


async def seen_keys(conn: AsyncConnection, keys: Sequence[str], since: datetime) -> set[str]:
    """Which of the keys were seen after `since`."""
    result = await conn.execute(_SEEN_KEYS, {"keys": list(keys), "since": since})
    return {str(key) for key in result.scalars()}


def _remember_statement(dialect: str) -> Any:
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = dialect_insert(mo_seen)
    return statement.on_conflict_do_update(
        index_elements=[mo_seen.c.key],
        set_={"message_id": statement.excluded.message_id, "seen_at": statement.excluded.seen_at},
    )


_REMEMBER = {dialect: _remember_statement(dialect) for dialect in ("postgresql", "sqlite")}
_PG_REMEMBER = (
    "ON CONFLICT (key) DO UPDATE SET message_id = EXCLUDED.message_id, seen_at = EXCLUDED.seen_at"
)


async def remember_seen(conn: AsyncConnection, key: str, message_id: int, now: datetime) -> None:
    """Insert or refresh one dedupe entry, in one statement (both dialects upsert)."""
    await remember_seen_many(conn, [(key, message_id)], now)


async def remember_seen_many(
    conn: AsyncConnection, entries: Sequence[tuple[str, int]], now: datetime
) -> None:
    """Insert or refresh dedupe entries (key, message id), in one statement."""
    rows = [{"key": key, "message_id": message_id, "seen_at": now} for key, message_id in entries]
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        await bulk.insert_rows_returning(conn, mo_seen, rows, _PG_REMEMBER)
    else:
        await conn.execute(_REMEMBER[conn.dialect.name], rows)


async def any_session_routing(conn: AsyncConnection) -> bool:
    """Whether any customer has opted in to open-session routing at all."""
    query = select(customer_settings.c.customer_id).where(
        customer_settings.c.session_window_minutes.is_not(None)
    )
    return (await conn.execute(query.limit(1))).first() is not None


async def forget_seen_before(conn: AsyncConnection, before: datetime) -> int:
    result = await conn.execute(delete(mo_seen).where(mo_seen.c.seen_at < before))
    return result.rowcount


# --- messages ------------------------------------------------------------------------


async def insert_message(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(messages).values(**values).returning(messages.c.id))
    return int(result.scalar_one())


async def insert_messages(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert messages (every row with the same keys) in one statement; ids in row order."""
    return await bulk.insert_with_ids(conn, messages, rows)


async def get_message(conn: AsyncConnection, message_id: int) -> Row[Any] | None:
    query = select(messages).where(messages.c.id == message_id)
    return (await conn.execute(query)).one_or_none()


async def get_messages(conn: AsyncConnection, ids: Sequence[int]) -> dict[int, Row[Any]]:
    result = await conn.execute(_MESSAGES_BY_ID, {"ids": list(ids)})
    return {row.id: row for row in result.all()}


async def signing_secrets_of(conn: AsyncConnection, customer_ids: Sequence[int]) -> dict[int, str]:
    query = select(signing_secrets.c.customer_id, signing_secrets.c.secret).where(
        signing_secrets.c.customer_id.in_(list(customer_ids))
    )
    return {int(row[0]): str(row[1]) for row in (await conn.execute(query)).all()}


async def record_attempts(
    conn: AsyncConnection, attempts: Sequence[dict[str, Any]], statuses: Sequence[dict[str, Any]]
) -> None:
    """Insert delivery attempts, and set message statuses (one statement each)."""
    await bulk.insert_rows(conn, delivery_attempts, attempts)
    changes = [
        {"id": s["message_id"], "status": s["new_status"], "delivered_at": s["new_delivered_at"]}
        for s in statuses
    ]
    await bulk.update_rows(conn, messages, "id", changes)


async def update_message(conn: AsyncConnection, message_id: int, **values: Any) -> None:
    await conn.execute(update(messages).where(messages.c.id == message_id).values(**values))


async def list_messages(
    conn: AsyncConnection,
    *,
    customer_id: int | None,
    admin: bool,
    direction: str | None,
    keyword: str | None,
    number: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    before_id: int | None,
) -> Sequence[Row[Any]]:
    """Newest first. A customer sees only its own; the admin sees all (inbox included)."""
    query = select(messages).order_by(messages.c.id.desc()).limit(limit)
    conditions = []
    if not admin:
        conditions.append(messages.c.customer_id == customer_id)
    if direction:
        conditions.append(messages.c.direction == direction)
    if keyword:
        conditions.append(messages.c.keyword == keyword)
    if number:
        conditions.append(messages.c.number == number)
    if since:
        conditions.append(messages.c.received_at >= since)
    if until:
        conditions.append(messages.c.received_at < until)
    if before_id:
        conditions.append(messages.c.id < before_id)
    if conditions:
        query = query.where(and_(*conditions))
    return (await conn.execute(query)).all()


async def attempts_of(conn: AsyncConnection, message_id: int) -> Sequence[Row[Any]]:
    query = (
        select(delivery_attempts)
        .where(delivery_attempts.c.message_id == message_id)
        .order_by(delivery_attempts.c.id)
    )
    return (await conn.execute(query)).all()


# --- routing facts -------------------------------------------------------------------


async def number_snapshot(conn: AsyncConnection, number: str) -> Sequence[Any]:
    """Every keyword of every active lease on the number, with its lease."""
    query = (
        select(
            lease_keywords.c.fold,
            lease_keywords.c.canonical,
            keyword_leases.c.id.label("lease_id"),
            keyword_leases.c.customer_id,
            keyword_leases.c.keyword,
            keyword_leases.c.status,
            keyword_leases.c.allow_digit_suffix,
            keyword_leases.c.route,
        )
        .join(keyword_leases, keyword_leases.c.id == lease_keywords.c.lease_id)
        .where(lease_keywords.c.number == number)
    )
    return (await conn.execute(query)).all()


async def numbers_by_digits(conn: AsyncConnection, candidates: Sequence[str]) -> list[Row[Any]]:
    query = (
        select(short_numbers, number_settings.c.help_text, number_settings.c.reply_unknown)
        .outerjoin(number_settings, number_settings.c.number == short_numbers.c.number)
        .where(short_numbers.c.number.in_(list(candidates)))
    )
    return list((await conn.execute(query)).all())


async def dialog_owner(
    conn: AsyncConnection, number: str, subnumber: str, now: datetime
) -> Row[Any] | None:
    query = select(dialogs).where(
        dialogs.c.number == number, dialogs.c.subnumber == subnumber, dialogs.c.expires_at > now
    )
    return (await conn.execute(query)).one_or_none()


async def session_candidates(
    conn: AsyncConnection, number: str, phone: str, now: datetime
) -> list[int]:
    """Customers who opted in to session routing and sent an MT from `number` to `phone`
    within their own window (the window is checked here against each MT's time)."""
    query = (
        select(
            messages.c.customer_id,
            func.max(messages.c.received_at),
            customer_settings.c.session_window_minutes,
        )
        .join(customer_settings, customer_settings.c.customer_id == messages.c.customer_id)
        .where(
            messages.c.direction == "outbound",
            messages.c.number == number,
            messages.c.recipient == phone,
            customer_settings.c.session_window_minutes.is_not(None),
        )
        .group_by(messages.c.customer_id, customer_settings.c.session_window_minutes)
    )
    found = []
    for customer_id, last, minutes in (await conn.execute(query)).all():
        last_at = last if last.tzinfo else last.replace(tzinfo=now.tzinfo)
        if (now - last_at).total_seconds() <= minutes * 60:
            found.append(int(customer_id))
    return found


async def customer_settings_of(conn: AsyncConnection, customer_id: int) -> Row[Any] | None:
    query = select(customer_settings).where(customer_settings.c.customer_id == customer_id)
    return (await conn.execute(query)).one_or_none()


async def default_routes_of(
    conn: AsyncConnection, customer_ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    """The default routes the customers set (a JSON null means none)."""
    query = select(customer_settings.c.customer_id, customer_settings.c.default_route).where(
        customer_settings.c.customer_id.in_(list(customer_ids))
    )
    return {int(row[0]): dict(row[1]) for row in (await conn.execute(query)).all() if row[1]}


async def set_customer_settings(conn: AsyncConnection, customer_id: int, **values: Any) -> None:
    """Set these columns of the customer's settings; the others keep their values (the
    admin's sending limit lives in the same row)."""
    result = await conn.execute(
        update(customer_settings)
        .where(customer_settings.c.customer_id == customer_id)
        .values(**values)
    )
    if result.rowcount == 0:
        await conn.execute(insert(customer_settings).values(customer_id=customer_id, **values))


async def set_number_settings(conn: AsyncConnection, number: str, **values: Any) -> None:
    await conn.execute(delete(number_settings).where(number_settings.c.number == number))
    await conn.execute(insert(number_settings).values(number=number, **values))


# --- opt-outs ------------------------------------------------------------------------


async def add_opt_out(conn: AsyncConnection, number: str, phone: str, now: datetime) -> None:
    try:
        async with conn.begin_nested():
            await conn.execute(insert(opt_outs).values(number=number, phone=phone, created_at=now))
    except IntegrityError:
        pass  # opted out already: STOPP twice is still STOPP


async def is_opted_out(conn: AsyncConnection, number: str, phone: str) -> bool:
    query = select(opt_outs.c.phone).where(opt_outs.c.number == number, opt_outs.c.phone == phone)
    return (await conn.execute(query)).first() is not None


# --- signing secrets -----------------------------------------------------------------


async def set_signing_secret(
    conn: AsyncConnection, customer_id: int, secret: str, now: datetime
) -> None:
    await conn.execute(delete(signing_secrets).where(signing_secrets.c.customer_id == customer_id))
    await conn.execute(
        insert(signing_secrets).values(customer_id=customer_id, secret=secret, created_at=now)
    )


# --- secrets at rest (sealed by adapters/secretbox.py; rows keyed by table) ----------

_SECRET_COLUMNS = {
    "signing_secrets": (signing_secrets, signing_secrets.c.customer_id, signing_secrets.c.secret),
    "operator_links": (operator_links, operator_links.c.id, operator_links.c.password),
}


async def stored_secrets(conn: AsyncConnection) -> list[tuple[str, int, str]]:
    """Every stored secret as (table, row key, stored value), in a stable order."""
    found = []
    for table, (_, key, value) in _SECRET_COLUMNS.items():
        rows = (await conn.execute(select(key, value).order_by(key))).all()
        found += [(table, int(row[0]), str(row[1])) for row in rows]
    return found


async def replace_secret(conn: AsyncConnection, table: str, key: int, old: str, new: str) -> bool:
    """Store `new` in place of `old`; False when the row changed meanwhile (left as is)."""
    target, key_column, value = _SECRET_COLUMNS[table]
    query = update(target).where(key_column == key, value == old).values({value.name: new})
    return (await conn.execute(query)).rowcount > 0


# --- operator links ------------------------------------------------------------------


async def insert_link(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    try:
        async with conn.begin_nested():
            await conn.execute(insert(operator_links).values(**values))
    except IntegrityError:
        return False
    return True


async def list_links(conn: AsyncConnection) -> list[Row[Any]]:
    query = select(operator_links).order_by(operator_links.c.id)
    return list((await conn.execute(query)).all())


async def delete_link(conn: AsyncConnection, name: str) -> bool:
    result = await conn.execute(delete(operator_links).where(operator_links.c.name == name))
    return result.rowcount > 0
