"""SQL of the operator inbox (`tx.operator_inbox`, app/mo/ports.OperatorInboxStore): the
inbound messages routed to no customer (status `inbox`, no customer), and handing one
over to a customer. The hand-over is one conditional UPDATE, so two at once cannot both
win."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import messages
from kodeord.app.mo.ports import InboxQuery, OperatorInboxMessage
from kodeord.domain.messages import Direction, MessageStatus
from kodeord.domain.routes import InboxRoute

_INBOUND = messages.c.direction == Direction.INBOUND.value
# In the operator inbox now: routed there (status `inbox` with no customer), not handed over.
_WAITING = and_(
    _INBOUND,
    messages.c.status == MessageStatus.INBOX.value,
    messages.c.customer_id.is_(None),
    messages.c.handed_over_at.is_(None),
)
# In the operator inbox now, or handed over from it.
_EVER = or_(_WAITING, and_(_INBOUND, messages.c.handed_over_at.is_not(None)))


def _message(row: Row[Any]) -> OperatorInboxMessage:
    return OperatorInboxMessage(
        id=int(row.id),
        number=row.number,
        recipient=row.recipient,
        sender=row.sender,
        text=row.text,
        keyword=row.keyword,
        lease_id=row.lease_id,
        route_step=row.route_step,
        received_at=row.received_at,
        customer_id=row.customer_id,
        handed_over_at=row.handed_over_at,
        erased_at=row.erased_at,
    )


class OperatorInboxRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def page(self, query: InboxQuery) -> list[OperatorInboxMessage]:
        conditions = [_WAITING]
        if query.number is not None:
            conditions.append(messages.c.number == query.number)
        if query.phone is not None:
            conditions.append(messages.c.sender == query.phone)
        if query.before_id is not None:
            conditions.append(messages.c.id < query.before_id)
        statement = (
            select(messages).where(*conditions).order_by(messages.c.id.desc()).limit(query.limit)
        )
        return [_message(row) for row in (await self._conn.execute(statement)).all()]

    async def get(self, message_id: int) -> OperatorInboxMessage | None:
        statement = select(messages).where(messages.c.id == message_id, _EVER)
        row = (await self._conn.execute(statement)).one_or_none()
        return None if row is None else _message(row)

    async def hand_over(
        self, message_id: int, customer_id: int, lease_id: int | None, now: datetime
    ) -> bool:
        statement = (
            update(messages)
            .where(messages.c.id == message_id, _WAITING)
            .values(
                customer_id=customer_id,
                lease_id=lease_id,
                status=MessageStatus.DELIVERED.value,
                destination=InboxRoute().to_json(),
                delivered_at=now,
                handed_over_at=now,
            )
        )
        return (await self._conn.execute(statement)).rowcount > 0
