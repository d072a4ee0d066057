"""HTTP API for reading the audit log (the provider's admin only); what is written there
and when is web/audit_hook.py's and app/audit.py's business."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from kodeord.app.accounts import audit
from kodeord.web.api import ERRORS, Admin, Ctx
from kodeord.web.models import Id, Instant

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["admin"])


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    customer_id: int | None
    source: str | None
    detail: dict[str, Any] | None


@router.get("/admin/audit-log", response_model=list[AuditEntryOut])
async def audit_log(
    ctx: Ctx,
    _: Admin,
    since: Instant | None = None,
    action: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    customer_id: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE)] = 100,
    before_id: Id | None = None,
) -> list[dict[str, Any]]:
    """Every change the admin made and every change to API keys, newest first (page
    back with `before_id`: the smallest id of the page before)."""
    return await audit.list_entries(
        ctx,
        since=since,
        action=action,
        customer_id=customer_id,
        before_id=before_id,
        limit=limit,
    )
