"""`MoPartRepository`: parts of long MOs waiting for the rest (`tx.mo_parts`).

Implements `app.mo.ports.MoPartStore`. On PostgreSQL the parts of one long MO are
serialised with a transaction-scoped advisory lock: without it two parts arriving at
once, in two transactions, would each see only itself and neither would assemble the
message. SQLite needs nothing: its single writer runs one transaction at a time.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import mo_parts
from kodeord.app.mo.ports import NewPart, PartGroup, StoredPart


def _of_group(group: PartGroup) -> Any:
    return and_(
        mo_parts.c.sender == group.sender,
        mo_parts.c.recipient == group.recipient,
        mo_parts.c.ref == group.ref,
        mo_parts.c.total == group.total,
    )


class MoPartRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock_group(self, group: PartGroup) -> None:
        """Serialise the parts of one long MO until this transaction ends (PostgreSQL)."""
        if self._conn.dialect.name != "postgresql":
            return
        name = f"{group.sender}|{group.recipient}|{group.ref}|{group.total}"
        digest = hashlib.blake2b(name.encode(), digest_size=8)
        key = int.from_bytes(digest.digest(), "big", signed=True)
        await self._conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    async def add(self, part: NewPart) -> bool:
        """Keep one part of a long MO; False when the same part was here already."""
        values = {
            "sender": part.sender,
            "recipient": part.recipient,
            "ref": part.ref,
            "total": part.total,
            "seq": part.seq,
            "data_coding": part.data_coding,
            "payload": part.payload,
            "link": part.link,
            "received_at": part.received_at,
        }
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(mo_parts).values(**values))
        except IntegrityError:
            return False
        return True

    async def take(
        self, group: PartGroup, *, complete_only: bool = True
    ) -> list[StoredPart] | None:
        """The parts of one long MO in order, removed from the table: once every part is
        in, or (complete_only=False, for housekeeping) whatever came."""
        where = _of_group(group)
        result = await self._conn.execute(select(mo_parts).where(where).order_by(mo_parts.c.seq))
        rows = result.all()
        if complete_only and len(rows) < group.total:
            return None
        await self._conn.execute(delete(mo_parts).where(where))
        return [
            StoredPart(r.sender, r.recipient, r.seq, r.data_coding, bytes(r.payload), r.link)
            for r in rows
        ]

    async def stale_groups(self, before: datetime) -> list[PartGroup]:
        """Long MOs whose first part came before `before`."""
        c = mo_parts.c
        query = (
            select(c.sender, c.recipient, c.ref, c.total)
            .group_by(c.sender, c.recipient, c.ref, c.total)
            .having(func.min(c.received_at) < before)
        )
        rows = (await self._conn.execute(query)).all()
        return [PartGroup(r.sender, r.recipient, int(r.ref), int(r.total)) for r in rows]
