"""SQL of the operator links (`tx.links`, app/links/ports.LinkStore): the
`operator_links` table. Passwords come and go sealed; this module never opens them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import operator_links
from kodeord.app.links.ports import StoredLink


def _link(row: Row[Any]) -> StoredLink:
    return StoredLink(
        name=row.name,
        host=row.host,
        port=row.port,
        system_id=row.system_id,
        sealed_password=row.password,
        bind_type=row.bind_type,
        window=row.window,
        max_rate=row.max_rate,
        enabled=row.enabled,
    )


class LinkRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def all(self) -> list[StoredLink]:
        query = select(operator_links).order_by(operator_links.c.id)
        return [_link(row) for row in (await self._conn.execute(query)).all()]

    async def add(self, link: StoredLink, now: datetime) -> bool:
        values = {
            "name": link.name,
            "host": link.host,
            "port": link.port,
            "system_id": link.system_id,
            "password": link.sealed_password,
            "bind_type": link.bind_type,
            "window": link.window,
            "max_rate": link.max_rate,
            "enabled": link.enabled,
            "created_at": now,
        }
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(operator_links).values(**values))
        except IntegrityError:
            return False
        return True

    async def delete(self, name: str) -> bool:
        query = delete(operator_links).where(operator_links.c.name == name)
        return (await self._conn.execute(query)).rowcount > 0
