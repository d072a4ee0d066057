"""The audit log: who did what to which thing, when, and from where.

Rules:
- An entry is written for every successful change the admin makes over the API and for
  every change customers make to their API keys (web/api_audit.py decides which requests
  those are; nothing here knows about HTTP).
- `actor` is "admin" or "customer:<id>/key:<id>"; `action` a stable name (the route's,
  e.g. `create_customer`, `api_key.revoke`); `target` what it acted on (e.g.
  `api_key:12`); `customer_id` whose data it touched, when one customer's; `source` the
  client's address. No secret is ever part of an entry (request bodies are not kept).
- Entries are only added, never changed; the provider reads them newest first.
- Storage through `tx.audit` (app/accounts/ports.AuditStore).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kodeord.app.accounts.ports import AccountsTx, AuditEntry, AuditQuery, NewAuditEntry
from kodeord.app.context import Context

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class Entry:
    actor: str
    action: str
    target: str | None = None
    customer_id: int | None = None
    source: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _cut(text: str | None, length: int) -> str | None:
    return None if text is None else text[:length]


async def record(ctx: Context[AccountsTx], entry: Entry) -> int:
    stored = NewAuditEntry(
        at=ctx.clock(),
        actor=entry.actor[:64],
        action=entry.action[:64],
        target=_cut(entry.target, 200),
        customer_id=entry.customer_id,
        source=_cut(entry.source, 64),
        detail=entry.detail or None,
    )
    return await ctx.storage.write(lambda tx: tx.audit.add(stored))


def entry_view(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "target": row.target,
        "customer_id": row.customer_id,
        "source": row.source,
        "detail": row.detail,
    }


async def list_entries(
    ctx: Context[AccountsTx],
    *,
    since: datetime | None = None,
    action: str | None = None,
    customer_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    query = AuditQuery(min(limit, MAX_PAGE), since, action, customer_id, before_id)
    async with ctx.storage.read() as tx:
        rows = await tx.audit.entries(query)
    return [entry_view(row) for row in rows]
