"""Repository of customers' SMPP accounts (`smpp_accounts`): issue, list, look up, revoke.

The binds capability's `SmppAccountStore` (app/binds/ports.py, `tx.smpp_accounts`).
Never commits (the caller's unit of work does). A system_id is unique for ever: a
revoked account keeps its row (and its name).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import smpp_accounts
from kodeord.app.binds.ports import SmppAccount


def _account(row: Row[Any]) -> SmppAccount:
    return SmppAccount(
        id=int(row.id),
        customer_id=int(row.customer_id),
        system_id=str(row.system_id),
        password_hash=str(row.password_hash),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SmppAccountRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def insert(
        self, customer_id: int, system_id: str, password_hash: str, now: datetime
    ) -> SmppAccount | None:
        """The new account, or None when `system_id` is taken (revoked ones included)."""
        values = {
            "customer_id": customer_id,
            "system_id": system_id,
            "password_hash": password_hash,
            "created_at": now,
        }
        if await self.get(system_id) is not None:
            return None
        try:
            async with self._conn.begin_nested():
                result = await self._conn.execute(
                    insert(smpp_accounts).values(**values).returning(*smpp_accounts.c)
                )
                return _account(result.one())
        except IntegrityError:  # a concurrent insert of the same system_id won
            return None

    async def get(self, system_id: str) -> SmppAccount | None:
        query = select(smpp_accounts).where(smpp_accounts.c.system_id == system_id)
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else _account(row)

    async def of_customer(self, customer_id: int) -> list[SmppAccount]:
        query = (
            select(smpp_accounts)
            .where(smpp_accounts.c.customer_id == customer_id)
            .order_by(smpp_accounts.c.id)
        )
        return [_account(row) for row in (await self._conn.execute(query)).all()]

    async def revoke(self, system_id: str, now: datetime) -> SmppAccount | None:
        """Mark the account revoked (once); as it is now, or None if there is none."""
        await self._conn.execute(
            update(smpp_accounts)
            .where(smpp_accounts.c.system_id == system_id, smpp_accounts.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return await self.get(system_id)
