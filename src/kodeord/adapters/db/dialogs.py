"""Repository of dialog IDs (`tx.dialogs`): whether a number has them on, the dialog of
a (number, customer, phone), the suffixes still held, and taking one. Never commits.

Taking a suffix is one conditional upsert on the (number, subnumber) key: a new row, or
the row of a dialog whose suffix is free again (expired before the grace began). Two
transactions that drew the same suffix meet on that key; the second sees the first's
row and gets False (then draws again), on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import dialogs, number_settings, short_numbers
from kodeord.domain.dialogs import Dialog


def _dialog(row: Any) -> Dialog:
    return Dialog(row.number, row.subnumber, int(row.customer_id), row.phone, row.expires_at)


class DialogRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def enabled(self, number: str) -> bool:
        query = select(number_settings.c.dialog_ids).where(number_settings.c.number == number)
        return bool(await self._conn.scalar(query))

    async def of_phone(self, number: str, customer_id: int, phone: str) -> Dialog | None:
        """The conversation's dialog (the one that lasts longest, should there be two)."""
        query = (
            select(dialogs)
            .where(
                dialogs.c.number == number,
                dialogs.c.customer_id == customer_id,
                dialogs.c.phone == phone,
            )
            .order_by(dialogs.c.expires_at.desc())
            .limit(1)
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _dialog(row)

    async def held(self, number: str, since: datetime) -> set[str]:
        """The suffixes of `number` whose dialogs expire after `since`."""
        query = select(dialogs.c.subnumber).where(
            dialogs.c.number == number, dialogs.c.expires_at > since
        )
        return set((await self._conn.scalars(query)).all())

    async def longer_numbers(self, number: str) -> list[str]:
        """Registered numbers one digit longer that start with `number`."""
        query = select(short_numbers.c.number).where(
            short_numbers.c.number.like(number + "_"), func.length(short_numbers.c.number) == 5
        )
        return list((await self._conn.scalars(query)).all())

    async def take(self, dialog: Dialog, now: datetime, free_before: datetime) -> bool:
        """Store `dialog` under its suffix unless another dialog still holds it (one that
        expires after `free_before`); True when stored."""
        values = {
            "number": dialog.number,
            "subnumber": dialog.subnumber,
            "customer_id": dialog.customer_id,
            "lease_id": None,
            "phone": dialog.phone,
            "created_at": now,
            "expires_at": dialog.expires_at,
        }
        dialect = self._conn.dialect.name
        statement = (pg_insert if dialect == "postgresql" else sqlite_insert)(dialogs).values(
            values
        )
        statement = statement.on_conflict_do_update(
            index_elements=[dialogs.c.number, dialogs.c.subnumber],
            set_={
                key: statement.excluded[key] for key in values if key not in ("number", "subnumber")
            },
            where=dialogs.c.expires_at <= free_before,
        )
        # RETURNING tells on both backends (an upsert's rowcount through asyncpg is not 1)
        stored = await self._conn.execute(statement.returning(dialogs.c.subnumber))
        return stored.first() is not None

    async def extend(self, number: str, subnumber: str, expires_at: datetime) -> None:
        await self._conn.execute(
            update(dialogs)
            .where(
                dialogs.c.number == number,
                dialogs.c.subnumber == subnumber,
                dialogs.c.expires_at < expires_at,
            )
            .values(expires_at=expires_at)
        )
