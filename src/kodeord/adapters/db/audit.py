"""SQL of the audit log (`tx.audit`, app/accounts/ports.AuditStore): entries are added,
never changed, and listed newest first."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db.schema import audit_log
from kodeord.app.accounts.ports import AuditEntry, AuditQuery, NewAuditEntry


def _entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        customer_id=row.customer_id,
        source=row.source,
        detail=row.detail,
    )


class AuditRepository:
    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, entry: NewAuditEntry) -> int:
        query = insert(audit_log).values(**asdict(entry)).returning(audit_log.c.id)
        return int((await self._conn.execute(query)).scalar_one())

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        select_ = select(audit_log).order_by(audit_log.c.id.desc()).limit(query.limit)
        if query.since is not None:
            select_ = select_.where(audit_log.c.at >= query.since)
        if query.action is not None:
            select_ = select_.where(audit_log.c.action == query.action)
        if query.customer_id is not None:
            select_ = select_.where(audit_log.c.customer_id == query.customer_id)
        if query.before_id is not None:
            select_ = select_.where(audit_log.c.id < query.before_id)
        return [_entry(row) for row in (await self._conn.execute(select_)).all()]
