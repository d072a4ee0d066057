"""SQL of the customers (`tx.customers`, app/accounts/ports.CustomerStore)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import customers
from kodeord.app.accounts.ports import Customer


def _customer(row: Row[Any]) -> Customer:
    return Customer(
        id=row.id, name=row.name, created_at=row.created_at, suspended_at=row.suspended_at
    )


class CustomerRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, name: str, now: datetime) -> Customer:
        query = insert(customers).values(name=name, created_at=now).returning(*customers.c)
        return _customer((await self._conn.execute(query)).one())

    async def all(self) -> list[Customer]:
        rows = (await self._conn.execute(select(customers).order_by(customers.c.id))).all()
        return [_customer(row) for row in rows]

    async def get(self, customer_id: int) -> Customer | None:
        query = select(customers).where(customers.c.id == customer_id)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else _customer(row)

    async def set_suspended(self, customer_id: int, at: datetime | None) -> None:
        query = update(customers).where(customers.c.id == customer_id).values(suspended_at=at)
        await self._conn.execute(query)
