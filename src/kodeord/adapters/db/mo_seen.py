"""`MoSeenRepository`: dedupe memory of MOs the operator may send again (`tx.mo_seen`).

Implements `app.mo.ports.MoSeenStore`. SMPP 3.4 re-sends carry no id, so a key of the
message's content is remembered with the message it became. Both dialects upsert in
one statement; on PostgreSQL many entries go through adapters/db/bulk.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.db.schema import mo_seen

# Statements of the MO hot path, built once (building one costs about as much as running it).
_SEEN_KEYS = select(mo_seen.c.key).where(
    mo_seen.c.key.in_(bindparam("keys", expanding=True)), mo_seen.c.seen_at >= bindparam("since")
)


def _remember_statement(dialect: str) -> Any:
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = dialect_insert(mo_seen)
    return statement.on_conflict_do_update(
        index_elements=[mo_seen.c.key],
        set_={"message_id": statement.excluded.message_id, "seen_at": statement.excluded.seen_at},
    )


_REMEMBER = {dialect: _remember_statement(dialect) for dialect in ("postgresql", "sqlite")}
_PG_REMEMBER = (
    "ON CONFLICT (key) DO UPDATE SET message_id = EXCLUDED.message_id, seen_at = EXCLUDED.seen_at"
)


class MoSeenRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def seen_since(self, key: str, since: datetime) -> int | None:
        """The message id an identical MO became, if it came after `since`."""
        query = select(mo_seen.c.message_id).where(mo_seen.c.key == key, mo_seen.c.seen_at >= since)
        found = (await self._conn.execute(query)).scalar_one_or_none()
        return None if found is None else int(found)

    async def seen_keys(self, keys: Sequence[str], since: datetime) -> set[str]:
        """Which of the keys were seen after `since`."""
        result = await self._conn.execute(_SEEN_KEYS, {"keys": list(keys), "since": since})
        return {str(key) for key in result.scalars()}

    async def remember(self, entries: Sequence[tuple[str, int]], now: datetime) -> None:
        """Insert or refresh dedupe entries (key, message id), in one statement."""
        rows = [{"key": key, "message_id": id_, "seen_at": now} for key, id_ in entries]
        if not rows:
            return
        conn = self._conn
        if conn.dialect.name == "postgresql":
            await bulk.insert_rows_returning(conn, mo_seen, rows, _PG_REMEMBER)
        else:
            await conn.execute(_REMEMBER[conn.dialect.name], rows)

    async def forget_before(self, before: datetime) -> int:
        result = await self._conn.execute(delete(mo_seen).where(mo_seen.c.seen_at < before))
        return int(result.rowcount)
