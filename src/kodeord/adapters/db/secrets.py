"""SQL of the secrets at rest as a whole (`tx.secrets`, app/stored_secrets.SecretStore):
signing secrets and operator-link passwords, read and rewritten by their row keys."""

from __future__ import annotations

from sqlalchemy import Column, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import operator_links, signing_secrets
from kodeord.app.stored_secrets import SecretPlace, StoredSecret

_COLUMNS: dict[SecretPlace, tuple[Table, Column[int], Column[str]]] = {
    SecretPlace.SIGNING_SECRETS: (
        signing_secrets,
        signing_secrets.c.customer_id,
        signing_secrets.c.secret,
    ),
    SecretPlace.OPERATOR_LINKS: (operator_links, operator_links.c.id, operator_links.c.password),
}


class SecretRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def all(self) -> list[StoredSecret]:
        found = []
        for place, (_, key, value) in _COLUMNS.items():
            rows = (await self._conn.execute(select(key, value).order_by(key))).all()
            found += [StoredSecret(place, int(row[0]), str(row[1])) for row in rows]
        return found

    async def replace(self, secret: StoredSecret, value: str) -> bool:
        target, key_column, column = _COLUMNS[secret.place]
        query = (
            update(target)
            .where(key_column == secret.key, column == secret.value)
            .values({column.name: value})
        )
        return (await self._conn.execute(query)).rowcount > 0
