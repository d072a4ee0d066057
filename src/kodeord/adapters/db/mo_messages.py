"""`MoMessageRepository`: inbound messages and their delivery log (`tx.mo_messages`).

Implements `app.mo.ports.MoMessageStore`. Rows become `StoredMo` records here; routes are
stored as `Route.to_json()`. The MO hot path's statements are built once and inserts go
through adapters/db/bulk.py (one statement per table for a whole batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.db.schema import delivery_attempts, messages
from kodeord.app.mo.ports import (
    DeliveryAttempt,
    FinalStatus,
    NewMo,
    RoutingRecord,
    StoredMo,
    UnroutedMo,
)
from kodeord.domain.messages import Direction, MessageStatus
from kodeord.domain.routes import route_from_json

# Statements of the MO hot path, built once (building one costs about as much as running it).
_MESSAGES_BY_ID = select(messages).where(messages.c.id.in_(bindparam("ids", expanding=True)))


def routing_columns(routing: RoutingRecord) -> dict[str, Any]:
    """The message row's columns that record a routing decision (the same for every
    decision, so the rows of a batch share one statement)."""
    destination = routing.destination
    return {
        "number": routing.number,
        "customer_id": routing.customer_id,
        "keyword": routing.keyword,
        "lease_id": routing.lease_id,
        "body": routing.body,
        "route_step": routing.route_step,
        "routed_at": routing.routed_at,
        "destination": None if destination is None else destination.to_json(),
        "status": routing.status.value,
    }


def message_columns(message: NewMo) -> dict[str, Any]:
    """The columns of a new inbound message row (before routing)."""
    return {
        "direction": Direction.INBOUND.value,
        "recipient": message.recipient,
        "sender": message.sender,
        "text": message.text,
        "data_coding": message.data_coding,
        "encoding": message.encoding,
        "segments": message.segments,
        "link": message.link,
        "received_at": message.received_at,
    }


def stored_mo(row: Row[Any]) -> StoredMo:
    destination = row.destination
    return StoredMo(
        id=int(row.id),
        recipient=row.recipient,
        sender=row.sender,
        text=row.text,
        received_at=row.received_at,
        segments=row.segments,
        encoding=row.encoding,
        number=row.number,
        customer_id=row.customer_id,
        keyword=row.keyword,
        body=row.body,
        destination=None if destination is None else route_from_json(destination),
    )


class MoMessageRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def insert_many(self, rows: Sequence[tuple[NewMo, RoutingRecord]]) -> list[int]:
        """Insert messages in one statement; their ids in row order."""
        values = [message_columns(new) | routing_columns(routing) for new, routing in rows]
        return await bulk.insert_with_ids(self._conn, messages, values)

    async def get(self, message_id: int) -> UnroutedMo | None:
        query = select(messages).where(messages.c.id == message_id)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else UnroutedMo(stored_mo(row), row.routed_at)

    async def get_many(self, ids: Sequence[int]) -> Mapping[int, StoredMo]:
        result = await self._conn.execute(_MESSAGES_BY_ID, {"ids": list(ids)})
        return {int(row.id): stored_mo(row) for row in result.all()}

    async def record_routing(self, message_id: int, routing: RoutingRecord) -> None:
        await self._update(message_id, routing_columns(routing))

    async def set_status(
        self, message_id: int, status: MessageStatus, delivered_at: datetime | None = None
    ) -> None:
        values: dict[str, Any] = {"status": status.value}
        if delivered_at is not None:
            values["delivered_at"] = delivered_at
        await self._update(message_id, values)

    async def record_attempts(
        self, attempts: Sequence[DeliveryAttempt], statuses: Sequence[FinalStatus]
    ) -> None:
        """Insert delivery attempts, and set message statuses (one statement each)."""
        await bulk.insert_rows(self._conn, delivery_attempts, [_attempt(a) for a in attempts])
        changes = [
            {"id": s.message_id, "status": s.status.value, "delivered_at": s.delivered_at}
            for s in statuses
        ]
        await bulk.update_rows(self._conn, messages, "id", changes)

    async def _update(self, message_id: int, values: Mapping[str, Any]) -> None:
        await self._conn.execute(
            update(messages).where(messages.c.id == message_id).values(**values)
        )


def _attempt(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "message_id": attempt.message_id,
        "destination": attempt.destination,
        "target": attempt.target,
        "attempt": attempt.attempt,
        "ok": attempt.ok,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "at": attempt.at,
    }
