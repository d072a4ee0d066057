"""Repository of the settings customers and the admin change (`tx.customer_settings`):
a customer's settings row, its webhook signing secret, a number's settings. Never commits.

Setting some of a customer's settings keeps the others (the admin's sending limit lives
in the same row).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import customer_settings, number_settings, signing_secrets


async def set_customer_columns(
    conn: AsyncConnection, customer_id: int, values: Mapping[str, object]
) -> None:
    """Set some columns of the customer's settings row, keeping the others (the row is
    made on first use)."""
    result = await conn.execute(
        update(customer_settings)
        .where(customer_settings.c.customer_id == customer_id)
        .values(**values)
    )
    if result.rowcount == 0:
        await conn.execute(insert(customer_settings).values(customer_id=customer_id, **values))


NUMBER_DEFAULTS: Mapping[str, object] = {
    "help_text": None,
    "reply_unknown": False,
    "reply_language": "nb",
    "dialog_ids": False,
}


class CustomerSettingsRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def set_routing(
        self,
        customer_id: int,
        session_window_minutes: int | None,
        default_route: Mapping[str, object] | None,
    ) -> None:
        values = {"session_window_minutes": session_window_minutes, "default_route": default_route}
        await set_customer_columns(self._conn, customer_id, values)

    async def set_default_route(
        self, customer_id: int, default_route: Mapping[str, object] | None
    ) -> None:
        await set_customer_columns(self._conn, customer_id, {"default_route": default_route})

    async def default_route(self, customer_id: int) -> dict[str, object] | None:
        query = select(customer_settings.c.default_route).where(
            customer_settings.c.customer_id == customer_id
        )
        route = (await self._conn.execute(query)).scalar_one_or_none()
        return dict(route) if route else None

    async def set_signing_secret(self, customer_id: int, sealed: str, now: datetime) -> None:
        conn = self._conn
        await conn.execute(
            delete(signing_secrets).where(signing_secrets.c.customer_id == customer_id)
        )
        await conn.execute(
            insert(signing_secrets).values(customer_id=customer_id, secret=sealed, created_at=now)
        )

    async def number(self, number: str) -> dict[str, object]:
        """A number's settings as stored, or the defaults when it has none yet."""
        row = (
            await self._conn.execute(
                select(number_settings).where(number_settings.c.number == number)
            )
        ).first()
        if row is None:
            return dict(NUMBER_DEFAULTS)
        return {key: getattr(row, key) for key in NUMBER_DEFAULTS}

    async def set_number(
        self,
        number: str,
        help_text: str | None,
        reply_unknown: bool,
        reply_language: str = "nb",
        dialog_ids: bool = False,
    ) -> None:
        conn = self._conn
        await conn.execute(delete(number_settings).where(number_settings.c.number == number))
        await conn.execute(
            insert(number_settings).values(
                number=number,
                help_text=help_text,
                reply_unknown=reply_unknown,
                reply_language=reply_language,
                dialog_ids=dialog_ids,
            )
        )
