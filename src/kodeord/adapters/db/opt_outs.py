"""`OptOutRepository`: phones that texted STOPP to a number (`tx.opt_outs`).

Implements `app.mo.ports.OptOutStore`. Opting out twice is one opt-out: the second
insert meets the unique key and is ignored, inside a savepoint so the unit of work
goes on. The export pages by the primary key (number, phone), so each page is an index
range however many rows there are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import opt_outs
from kodeord.app.mo.ports import OptOut


def _opt_out(row: Row[Any]) -> OptOut:
    return OptOut(number=row.number, phone=row.phone, created_at=row.created_at)


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

    async def of_phone(self, phone: str) -> list[OptOut]:
        query = select(opt_outs).where(opt_outs.c.phone == phone).order_by(opt_outs.c.number)
        return [_opt_out(row) for row in (await self._conn.execute(query)).all()]

    async def page(self, after: tuple[str, str] | None, limit: int) -> list[OptOut]:
        query = select(opt_outs).order_by(opt_outs.c.number, opt_outs.c.phone).limit(limit)
        if after is not None:
            number, phone = after
            query = query.where(
                or_(
                    opt_outs.c.number > number,
                    (opt_outs.c.number == number) & (opt_outs.c.phone > phone),
                )
            )
        return [_opt_out(row) for row in (await self._conn.execute(query)).all()]

    async def remove(self, number: str, phone: str) -> OptOut | None:
        key = (opt_outs.c.number == number) & (opt_outs.c.phone == phone)
        row = (await self._conn.execute(select(opt_outs).where(key))).one_or_none()
        if row is None:
            return None
        await self._conn.execute(delete(opt_outs).where(key))
        return _opt_out(row)
