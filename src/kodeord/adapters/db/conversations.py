"""Repository of conversation threads (`tx.conversations`): a customer's messages grouped
by (number, phone), its unread counts and how far it has read. Never commits.

The phone of a message is its sender for an MO and its recipient for an MT; messages
erased by retention have no phone any more and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy import insert as plain_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import conversation_reads, messages
from kodeord.app.conversations.ports import ThreadMessage, ThreadSummary
from kodeord.domain.messages import Direction

_INBOUND = Direction.INBOUND.value
_PHONE = case((messages.c.direction == _INBOUND, messages.c.sender), else_=messages.c.recipient)
_ADDRESS = case((messages.c.direction == _INBOUND, messages.c.recipient), else_=messages.c.sender)


def _of(customer_id: int) -> Any:
    return and_(
        messages.c.customer_id == customer_id,
        messages.c.number.is_not(None),
        messages.c.erased_at.is_(None),
    )


def _with(number: str, phone: str) -> Any:
    return and_(
        messages.c.number == number,
        or_(
            and_(messages.c.direction == _INBOUND, messages.c.sender == phone),
            and_(messages.c.direction != _INBOUND, messages.c.recipient == phone),
        ),
    )


def _with_reads(customer_id: int, phone: Any) -> Any:
    """The messages, each with how far its thread (of `phone`) has been read, if at all."""
    reads = conversation_reads
    return messages.outerjoin(
        reads,
        and_(
            reads.c.customer_id == customer_id,
            reads.c.number == messages.c.number,
            reads.c.phone == phone,
        ),
    )


def _like(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ConversationRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def threads(
        self, customer_id: int, search: str | None, limit: int, offset: int
    ) -> list[ThreadSummary]:
        reads = conversation_reads
        read_up_to = func.coalesce(reads.c.read_up_to, 0)
        unread = func.sum(
            case((and_(messages.c.direction == _INBOUND, messages.c.id > read_up_to), 1), else_=0)
        )
        grouped = (
            select(
                messages.c.number.label("number"),
                _PHONE.label("phone"),
                func.max(messages.c.id).label("last_id"),
                unread.label("unread"),
            )
            .select_from(_with_reads(customer_id, _PHONE))
            .where(_of(customer_id))
            .group_by(messages.c.number, _PHONE)
        )
        if search:
            pattern = _like(search)
            matching = (
                select(messages.c.number, _PHONE.label("phone"))
                .where(_of(customer_id), messages.c.text.ilike(pattern, escape="\\"))
                .distinct()
            )
            matched = [(row.number, row.phone) for row in await self._conn.execute(matching)]
            by_phone = _PHONE.like(pattern, escape="\\")
            grouped = grouped.having(
                or_(by_phone, *(and_(messages.c.number == n, p == _PHONE) for n, p in matched))
            )
        threads = grouped.subquery()
        last = messages.alias("last")
        query = (
            select(threads, last.c.received_at, last.c.text, last.c.direction)
            .join(last, last.c.id == threads.c.last_id)
            .order_by(threads.c.last_id.desc())
            .limit(limit)
            .offset(offset)
        )
        return [
            ThreadSummary(
                number=row.number,
                phone=row.phone,
                last_id=int(row.last_id),
                last_at=row.received_at,
                last_text=row.text,
                last_direction=Direction(row.direction),
                unread=int(row.unread or 0),
            )
            for row in await self._conn.execute(query)
        ]

    async def messages(
        self, customer_id: int, number: str, phone: str, limit: int
    ) -> Sequence[ThreadMessage]:
        query = (
            select(
                messages.c.id,
                messages.c.direction,
                messages.c.text,
                messages.c.received_at,
                messages.c.status,
                _ADDRESS.label("address"),
            )
            .where(_of(customer_id), _with(number, phone))
            .order_by(messages.c.id.desc())
            .limit(limit)
        )
        rows = (await self._conn.execute(query)).all()
        return [
            ThreadMessage(
                int(row.id),
                Direction(row.direction),
                row.text,
                row.received_at,
                row.status,
                row.address,
            )
            for row in reversed(rows)
        ]

    async def mark_read(
        self, customer_id: int, number: str, phone: str, up_to: int, now: datetime
    ) -> None:
        reads = conversation_reads
        key = and_(
            reads.c.customer_id == customer_id, reads.c.number == number, reads.c.phone == phone
        )
        moved = await self._conn.execute(
            update(reads)
            .where(key, reads.c.read_up_to < up_to)
            .values(read_up_to=up_to, read_at=now)
        )
        if moved.rowcount:
            return
        known = await self._conn.scalar(select(exists().where(key)))
        if not known:
            await self._conn.execute(
                plain_insert(reads).values(
                    customer_id=customer_id,
                    number=number,
                    phone=phone,
                    read_up_to=up_to,
                    read_at=now,
                )
            )

    async def newest(self, customer_id: int) -> int:
        query = select(func.max(messages.c.id)).where(messages.c.customer_id == customer_id)
        return int(await self._conn.scalar(query) or 0)

    async def unread(self, customer_id: int) -> int:
        reads = conversation_reads
        query = (
            select(func.count())
            .select_from(_with_reads(customer_id, messages.c.sender))
            .where(
                _of(customer_id),
                messages.c.direction == _INBOUND,
                messages.c.id > func.coalesce(reads.c.read_up_to, 0),
            )
        )
        return int(await self._conn.scalar(query) or 0)
