"""SQL for customers' SMPP accounts (`smpp_accounts`): issue, list, look up, revoke.

Functions take an open connection and never commit (the caller's unit of work does).
A system_id is unique for ever: a revoked account keeps its row (and its name).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import smpp_accounts
from kodeord.app.binds.ports import SmppAccount


async def insert_account(
    conn: AsyncConnection, customer_id: int, system_id: str, password_hash: str, now: datetime
) -> Row[Any] | None:
    """The new account, or None when `system_id` is taken (revoked ones included)."""
    values = {
        "customer_id": customer_id,
        "system_id": system_id,
        "password_hash": password_hash,
        "created_at": now,
    }
    if await get_account(conn, system_id) is not None:
        return None
    try:
        async with conn.begin_nested():
            result = await conn.execute(
                insert(smpp_accounts).values(**values).returning(*smpp_accounts.c)
            )
            return result.one()
    except IntegrityError:  # a concurrent insert of the same system_id won
        return None


async def get_account(conn: AsyncConnection, system_id: str) -> Row[Any] | None:
    query = select(smpp_accounts).where(smpp_accounts.c.system_id == system_id)
    return (await conn.execute(query)).one_or_none()


async def accounts_of(conn: AsyncConnection, customer_id: int) -> Sequence[Row[Any]]:
    query = (
        select(smpp_accounts)
        .where(smpp_accounts.c.customer_id == customer_id)
        .order_by(smpp_accounts.c.id)
    )
    return (await conn.execute(query)).all()


async def revoke_account(conn: AsyncConnection, system_id: str, now: datetime) -> Row[Any] | None:
    """Mark the account revoked (once); the row as it is now, or None if there is none."""
    await conn.execute(
        update(smpp_accounts)
        .where(smpp_accounts.c.system_id == system_id, smpp_accounts.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return await get_account(conn, system_id)


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
    """The functions above as the binds capability's `SmppAccountStore` (`tx.smpp_accounts`)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def insert(
        self, customer_id: int, system_id: str, password_hash: str, now: datetime
    ) -> SmppAccount | None:
        row = await insert_account(self._conn, customer_id, system_id, password_hash, now)
        return None if row is None else _account(row)

    async def get(self, system_id: str) -> SmppAccount | None:
        row = await get_account(self._conn, system_id)
        return None if row is None else _account(row)

    async def of_customer(self, customer_id: int) -> list[SmppAccount]:
        return [_account(row) for row in await accounts_of(self._conn, customer_id)]

    async def revoke(self, system_id: str, now: datetime) -> SmppAccount | None:
        row = await revoke_account(self._conn, system_id, now)
        return None if row is None else _account(row)
