"""SQL for retention (`tx.retention`, app/retention.RetentionStore; rules in
domain/retention.py): find messages to erase within one id window, erase them with every
copy of their personal data, and drop old leftovers (unassembled MO parts, finished jobs).
Nothing here commits.

Each statement is bounded: candidates are read by primary key within an id window and a
row limit (no index on received_at or status is needed), deletes take at most `limit`
rows at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import delivery_attempts, message_events, messages, mo_parts
from kodeord.adapters.queue.schema import jobs
from kodeord.app.jobs import JobStatus
from kodeord.app.retention import Erasable
from kodeord.domain.retention import erased_destination, erased_phone_columns


class RetentionRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def id_range(self) -> tuple[int, int] | None:
        """The lowest and highest message id, or None when there are no messages."""
        query = select(func.min(messages.c.id), func.max(messages.c.id))
        low, high = (await self._conn.execute(query)).one()
        return None if low is None else (int(low), int(high))

    async def erasable(
        self,
        *,
        after: int,
        up_to: int,
        received_before: datetime,
        statuses: Collection[str],
        limit: int,
    ) -> list[Erasable]:
        """Messages after..up_to (ids) not erased yet, final and old enough, by id."""
        query = (
            select(messages.c.id, messages.c.direction, messages.c.destination)
            .where(
                messages.c.id > after,
                messages.c.id <= up_to,
                messages.c.erased_at.is_(None),
                messages.c.status.in_(sorted(statuses)),
                messages.c.received_at < received_before,
            )
            .order_by(messages.c.id)
            .limit(limit)
        )
        rows = (await self._conn.execute(query)).all()
        return [
            Erasable(
                row.id,
                row.direction,
                None if row.destination is None else str(row.destination.get("type")),
            )
            for row in rows
        ]

    async def erase(self, found: Sequence[Erasable], now: datetime) -> None:
        """Erase the text and phone number of these messages wherever they are copied."""
        conn = self._conn
        ids = [message.id for message in found]
        by_direction: dict[str, list[int]] = {}
        for message in found:
            by_direction.setdefault(message.direction, []).append(message.id)
        for direction, some in by_direction.items():
            phones = dict.fromkeys(erased_phone_columns(direction), "")
            values = {"text": "", "body": None, "erased_at": now, **phones}
            await conn.execute(update(messages).where(messages.c.id.in_(some)).values(**values))
        by_type: dict[str, list[int]] = {}
        for message in found:
            if message.destination_type is not None:
                by_type.setdefault(message.destination_type, []).append(message.id)
        for kind, some in by_type.items():
            kept = erased_destination({"type": kind})
            query = update(messages).where(messages.c.id.in_(some)).values(destination=kept)
            await conn.execute(query)
        attempts = delivery_attempts.c.message_id.in_(ids)
        await conn.execute(
            update(delivery_attempts).where(attempts).values(target=None, error=None)
        )
        events = message_events.c.message_id.in_(ids)
        await conn.execute(update(message_events).where(events).values(detail=None))

    async def delete_old_parts(self, before: datetime, limit: int) -> int:
        """Parts of long MOs received before `before` that never became a message."""
        old = select(mo_parts.c.id).where(mo_parts.c.received_at < before).limit(limit)
        query = delete(mo_parts).where(mo_parts.c.id.in_(old.scalar_subquery()))
        return int((await self._conn.execute(query)).rowcount)

    async def delete_finished_jobs(self, before: datetime, limit: int) -> int:
        """Done and dead jobs last changed before `before`: their payloads (a receipt's phone
        number and text) and errors go with them; a dead job that old is not replayed."""
        finished = [JobStatus.DONE.value, JobStatus.DEAD.value]
        old = (
            select(jobs.c.id)
            .where(jobs.c.status.in_(finished), jobs.c.updated_at < before)
            .limit(limit)
        )
        query = delete(jobs).where(jobs.c.id.in_(old.scalar_subquery()))
        return int((await self._conn.execute(query)).rowcount)
