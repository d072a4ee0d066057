"""Repository of customers' own sending limits (app/mt/ports.py `SendLimitStore`).

The limit lives in the customer's `customer_settings` row next to its other settings;
setting it keeps the others. Never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.customer_settings import set_customer_columns
from kodeord.adapters.db.schema import customer_settings
from kodeord.app.mt.ports import OwnLimit


class SendLimitRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def own_limit(self, customer_id: int) -> OwnLimit | None:
        query = select(
            customer_settings.c.send_rate_per_second, customer_settings.c.send_burst
        ).where(customer_settings.c.customer_id == customer_id)
        row = (await self._conn.execute(query)).one_or_none()
        if row is None:
            return None
        rate = None if row.send_rate_per_second is None else float(row.send_rate_per_second)
        burst = None if row.send_burst is None else int(row.send_burst)
        return OwnLimit(rate, burst)

    async def set_own_limit(self, customer_id: int, rate: float | None, burst: int | None) -> None:
        values = {"send_rate_per_second": rate, "send_burst": burst}
        await set_customer_columns(self._conn, customer_id, values)
