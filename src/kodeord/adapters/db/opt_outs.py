"""`OptOutRepository`: phones that texted STOPP to a number (`tx.opt_outs`).

Implements `app.mo.ports.OptOutStore`. Opting out twice is one opt-out: the second
insert meets the unique key and is ignored, inside a savepoint so the unit of work
goes on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import opt_outs


class OptOutRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, number: str, phone: str, now: datetime) -> None:
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(
                    insert(opt_outs).values(number=number, phone=phone, created_at=now)
                )
        except IntegrityError:
            pass  # opted out already: STOPP twice is still STOPP
