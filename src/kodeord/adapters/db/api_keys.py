"""SQL of the customers' API keys (`tx.api_keys`, app/accounts/ports.ApiKeyStore): only
the hash of a key's secret is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import api_keys, customers
from kodeord.app.accounts.ports import ApiKey


def _key(row: Row[Any], customer_suspended: bool = False) -> ApiKey:
    return ApiKey(
        id=row.id,
        customer_id=row.customer_id,
        key_hash=row.key_hash,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        customer_suspended=customer_suspended,
    )


class ApiKeyRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, customer_id: int, key_hash: str, now: datetime, name: str | None) -> int:
        values = {"customer_id": customer_id, "key_hash": key_hash, "created_at": now}
        query = insert(api_keys).values(**values, name=name).returning(api_keys.c.id)
        return int((await self._conn.execute(query)).scalar_one())

    async def active(self, key_id: int) -> ApiKey | None:
        query = (
            select(api_keys, customers.c.suspended_at)
            .join(customers, customers.c.id == api_keys.c.customer_id)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        )
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else _key(row, row.suspended_at is not None)

    async def get(self, key_id: int) -> ApiKey | None:
        query = select(api_keys).where(api_keys.c.id == key_id)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else _key(row)

    async def of_customer(self, customer_id: int) -> list[ApiKey]:
        query = (
            select(api_keys).where(api_keys.c.customer_id == customer_id).order_by(api_keys.c.id)
        )
        return [_key(row) for row in (await self._conn.execute(query)).all()]

    async def rename(self, key_id: int, name: str | None) -> None:
        await self._conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(name=name))

    async def used(self, key_id: int, at: datetime) -> None:
        query = update(api_keys).where(api_keys.c.id == key_id).values(last_used_at=at)
        await self._conn.execute(query)

    async def revoke(self, key_id: int, now: datetime) -> bool:
        query = (
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return (await self._conn.execute(query)).rowcount > 0
