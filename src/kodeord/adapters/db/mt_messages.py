"""Repositories of MT (app/mt/ports.py): stored MT messages, their parts, who may send.

Each class wraps the unit of work's connection and never commits. The statements are
those MT ran before the app had ports, unchanged: accept stores a batch with
one bulk insert, the send path reads many messages and their parts in two statements.
"""

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
from kodeord.app.mt.ports import (
    Lease,
    NewOutboundMessage,
    NewPart,
    OutboundMessage,
    Part,
    StatusEvent,
)
from kodeord.domain.messages import Direction, MessageStatus

_MESSAGES_BY_ID = select(messages).where(messages.c.id.in_(bindparam("ids", expanding=True)))
_PARTS_OF = (
    select(message_parts)
    .where(message_parts.c.message_id.in_(bindparam("ids", expanding=True)))
    .order_by(message_parts.c.message_id, message_parts.c.seq)
)
_PARTS_BY_REF = select(message_parts).where(
    message_parts.c.operator_ref.in_(bindparam("refs", expanding=True))
)
_ADD_PART = insert(message_parts)


def _message(row: Row[Any]) -> OutboundMessage:
    return OutboundMessage(
        id=int(row.id),
        direction=Direction(row.direction),
        status=MessageStatus(row.status),
        customer_id=row.customer_id,
        number=row.number,
        sender=row.sender,
        recipient=row.recipient,
        text=row.text,
        segments=int(row.segments),
        price_ore=row.price_ore,
        reference=row.reference,
        callback_url=row.callback_url,
        expires_at=row.expires_at,
        origin=row.origin,
        wants_receipt=bool(row.wants_receipt),
        received_at=row.received_at,
    )


def _row(message: NewOutboundMessage) -> dict[str, Any]:
    row: dict[str, Any] = {
        "direction": Direction.OUTBOUND.value,
        "status": MessageStatus.QUEUED.value,
        "customer_id": message.customer_id,
        "number": message.number,
        "recipient": message.recipient,
        "sender": message.sender or message.number,
        "text": message.text,
        "keyword": message.keyword,
        "data_coding": message.data_coding,
        "encoding": message.encoding,
        "segments": message.segments,
        "price_ore": message.price_ore,
        "reference": message.reference,
        "callback_url": message.callback_url,
        "send_at": message.send_at,
        "expires_at": message.expires_at,
        "origin": str(message.origin),
        "wants_receipt": message.wants_receipt,
        "received_at": message.received_at,
    }
    if message.route_step is not None:
        row["route_step"] = message.route_step
    return row


def _part(row: Row[Any]) -> Part:
    return Part(
        id=int(row.id),
        message_id=int(row.message_id),
        seq=int(row.seq),
        link=row.link,
        operator_ref=row.operator_ref,
        status=row.status,
    )


class MtMessageRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def insert(self, new: Sequence[NewOutboundMessage]) -> list[int]:
        return await bulk.insert_with_ids(self._conn, messages, [_row(m) for m in new])

    async def delete(self, message_id: int) -> None:
        conn = self._conn
        await conn.execute(delete(message_events).where(message_events.c.message_id == message_id))
        await conn.execute(delete(messages).where(messages.c.id == message_id))

    async def get(self, message_id: int) -> OutboundMessage | None:
        query = select(messages).where(messages.c.id == message_id)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else _message(row)

    async def get_many(self, ids: Sequence[int]) -> dict[int, OutboundMessage]:
        result = await self._conn.execute(_MESSAGES_BY_ID, {"ids": list(ids)})
        return {int(row.id): _message(row) for row in result.all()}

    async def set_statuses(
        self,
        ids: Sequence[int],
        status: MessageStatus,
        only_from: Sequence[MessageStatus],
        *,
        error: str | None,
        delivered_at: datetime | None,
    ) -> set[int]:
        values: dict[str, Any] = {"status": status.value, "error": error}
        if delivered_at is not None:
            values["delivered_at"] = delivered_at
        statement = (
            update(messages)
            .where(
                messages.c.id.in_(list(ids)),
                messages.c.status.in_([s.value for s in only_from]),
            )
            .values(**values)
            .returning(messages.c.id)
        )
        return {int(found) for found in (await self._conn.scalars(statement))}

    async def add_events(self, events: Sequence[StatusEvent], at: datetime) -> None:
        rows = [
            {"message_id": e.message_id, "status": e.status.value, "detail": e.detail, "at": at}
            for e in events
        ]
        await bulk.insert_rows(self._conn, message_events, rows)

    async def opted_out(self, number: str, phones: Sequence[str]) -> set[str]:
        query = select(opt_outs.c.phone).where(
            opt_outs.c.number == number, opt_outs.c.phone.in_(list(phones))
        )
        return {str(phone) for phone in (await self._conn.execute(query)).scalars()}


class PartRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def parts_of(self, message_id: int) -> list[Part]:
        query = (
            select(message_parts)
            .where(message_parts.c.message_id == message_id)
            .order_by(message_parts.c.seq)
        )
        return [_part(row) for row in (await self._conn.execute(query)).all()]

    async def parts_of_many(self, ids: Sequence[int]) -> dict[int, list[Part]]:
        found: dict[int, list[Part]] = {}
        for row in (await self._conn.execute(_PARTS_OF, {"ids": list(ids)})).all():
            found.setdefault(int(row.message_id), []).append(_part(row))
        return found

    async def add(self, parts: Sequence[NewPart]) -> None:
        rows = [
            {
                "message_id": p.message_id,
                "seq": p.seq,
                "link": p.link,
                "operator_ref": p.operator_ref,
                "status": p.status.value,
                "submitted_at": p.submitted_at,
            }
            for p in parts
        ]
        if rows:
            await self._conn.execute(_ADD_PART, rows)

    async def by_operator_ref(self, refs: Sequence[str], link: str | None) -> Part | None:
        rows = list((await self._conn.execute(_PARTS_BY_REF, {"refs": list(refs)})).all())
        if len(rows) > 1 and link is not None:
            rows = [row for row in rows if row.link == link] or rows
        return _part(max(rows, key=lambda row: row.id)) if rows else None

    async def set_status(self, part_id: int, status: MessageStatus, done_at: datetime) -> None:
        await self._conn.execute(
            update(message_parts)
            .where(message_parts.c.id == part_id)
            .values(status=status.value, done_at=done_at)
        )


class SenderRepository:
    """Who may send from a shared number: the customer's active keywords on it."""

    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def active_leases(self, customer_id: int, number: str) -> list[Lease]:
        query = select(keyword_leases.c.keyword, keyword_leases.c.aliases).where(
            keyword_leases.c.customer_id == customer_id,
            keyword_leases.c.number == number,
            keyword_leases.c.status == "active",
        )
        return [
            Lease(str(row.keyword), tuple(row.aliases or ()))
            for row in (await self._conn.execute(query)).all()
        ]
