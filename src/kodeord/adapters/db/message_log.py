"""Repository of the message log as the API reads it back (`tx.message_log`).

Both directions, newest first; a customer sees only its own messages, the admin all.
With each message: its delivery attempts (MO) and its status history (MT). Never commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import delivery_attempts, message_events, messages
from kodeord.app.mt.ports import (
    AttemptRecord,
    EventRecord,
    MessageFilter,
    MessageRecord,
    RecentAttempt,
)
from kodeord.domain.messages import Direction, MessageStatus


def _record(row: Row[Any]) -> MessageRecord:
    return MessageRecord(
        id=int(row.id),
        direction=Direction(row.direction),
        status=MessageStatus(row.status),
        customer_id=row.customer_id,
        number=row.number,
        recipient=row.recipient,
        sender=row.sender,
        text=row.text,
        body=row.body,
        keyword=row.keyword,
        lease_id=row.lease_id,
        route_step=row.route_step,
        destination=row.destination,
        encoding=row.encoding,
        segments=int(row.segments),
        received_at=row.received_at,
        routed_at=row.routed_at,
        delivered_at=row.delivered_at,
        price_ore=row.price_ore,
        reference=row.reference,
        send_at=row.send_at,
        expires_at=row.expires_at,
        origin=row.origin,
        error=row.error,
        erased_at=row.erased_at,
    )


def _attempt(row: Row[Any]) -> AttemptRecord:
    return AttemptRecord(
        attempt=row.attempt,
        destination=row.destination,
        target=row.target,
        ok=bool(row.ok),
        status_code=row.status_code,
        error=row.error,
        duration_ms=row.duration_ms,
        at=row.at,
    )


class MessageLogRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def page(self, wanted: MessageFilter) -> list[MessageRecord]:
        query = select(messages).order_by(messages.c.id.desc()).limit(wanted.limit)
        conditions = []
        if not wanted.admin:
            conditions.append(messages.c.customer_id == wanted.customer_id)
        if wanted.direction:
            conditions.append(messages.c.direction == wanted.direction)
        if wanted.keyword:
            conditions.append(messages.c.keyword == wanted.keyword)
        if wanted.number:
            conditions.append(messages.c.number == wanted.number)
        if wanted.since:
            conditions.append(messages.c.received_at >= wanted.since)
        if wanted.until:
            conditions.append(messages.c.received_at < wanted.until)
        if wanted.before_id:
            conditions.append(messages.c.id < wanted.before_id)
        if conditions:
            query = query.where(and_(*conditions))
        return [_record(row) for row in (await self._conn.execute(query)).all()]

    async def get(self, message_id: int) -> MessageRecord | None:
        query = select(messages).where(messages.c.id == message_id)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else _record(row)

    async def attempts_of(self, message_id: int) -> list[AttemptRecord]:
        query = (
            select(delivery_attempts)
            .where(delivery_attempts.c.message_id == message_id)
            .order_by(delivery_attempts.c.id)
        )
        return [_attempt(row) for row in (await self._conn.execute(query)).all()]

    async def recent_attempts(
        self, customer_id: int, lease_id: int | None, limit: int
    ) -> list[RecentAttempt]:
        of_lease = (
            messages.c.lease_id.is_(None) if lease_id is None else messages.c.lease_id == lease_id
        )
        query = (
            select(delivery_attempts)
            .join(messages, messages.c.id == delivery_attempts.c.message_id)
            .where(messages.c.customer_id == customer_id, of_lease)
            .order_by(delivery_attempts.c.id.desc())
            .limit(limit)
        )
        rows = (await self._conn.execute(query)).all()
        return [RecentAttempt(int(row.message_id), _attempt(row)) for row in rows]

    async def events_of(self, message_id: int) -> list[EventRecord]:
        query = (
            select(message_events)
            .where(message_events.c.message_id == message_id)
            .order_by(message_events.c.id)
        )
        return [
            EventRecord(row.status, row.detail, row.at)
            for row in (await self._conn.execute(query)).all()
        ]
