"""HTTP API for running the gateway: dead letters and their replay, the audit log (the
provider's admin only), and the unversioned ops routes `/metrics` and `/healthz`.

What is written to the audit log and when is web/audit_hook.py's and
app/accounts/audit.py's business. `/metrics` has its own token rule (`metrics_reader`);
`/healthz` needs none."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from kodeord import __version__
from kodeord.app.accounts import audit
from kodeord.app.errors import Unauthorized
from kodeord.app.metrics import METRICS
from kodeord.app.mt import messages
from kodeord.web.deps import ERRORS, Admin, Ctx, Gw
from kodeord.web.models import Body, Id, Instant, Offset, Out

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["admin"])
ops_router = APIRouter(tags=["ops"])


class DeadLetterOut(Out):
    id: int
    kind: str
    payload: Any
    attempts: int
    last_error: str | None
    created_at: datetime


class ReplayOut(Out):
    replayed: int


class HealthOut(Out):
    status: Literal["ok", "database_unavailable"]
    version: str
    database: str


class ReplayIn(Body):
    id: Id | None = Field(None, description="one dead job; all of them when left out")


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    customer_id: int | None
    source: str | None
    detail: dict[str, Any] | None


@router.get("/admin/dead-letters", response_model=list[DeadLetterOut])
async def dead_letters(
    gw: Gw,
    _: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    return await messages.dead_letters(gw.queue, limit, offset)


@router.post("/admin/dead-letters/replay", response_model=ReplayOut)
async def replay(gw: Gw, _: Admin, body: ReplayIn | None = None) -> dict[str, Any]:
    return await messages.replay(gw.queue, body.id if body else None)


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


def metrics_reader(ctx: Ctx, authorization: Annotated[str | None, Header()] = None) -> None:
    """/metrics needs `Bearer <KODEORD_METRICS_TOKEN or the admin token>` (customers' keys
    do not open it), unless KODEORD_METRICS_PUBLIC=1."""
    if ctx.metrics_public:
        return
    scheme, _, token = (authorization or "").partition(" ")
    presented = token.strip().encode()
    allowed = [t.encode() for t in (ctx.metrics_token, ctx.admin_token) if t]
    if scheme.lower() != "bearer" or not any(hmac.compare_digest(presented, t) for t in allowed):
        code = "invalid_token" if authorization else "missing_token"
        message = "send Authorization: Bearer <KODEORD_METRICS_TOKEN or the admin token>"
        raise Unauthorized(code, message)


@ops_router.get(
    "/metrics",
    include_in_schema=False,
    dependencies=[Depends(metrics_reader)],
    response_class=Response,
    responses={
        200: {"description": "Prometheus text format", "content": {CONTENT_TYPE_LATEST: {}}}
    },
)
async def metrics(gw: Gw) -> Response:
    await gw.refresh_metrics()
    return Response(generate_latest(METRICS.registry), media_type=CONTENT_TYPE_LATEST)


@ops_router.get(
    "/healthz",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "the database does not answer"}},
)
async def healthz(ctx: Ctx) -> JSONResponse:
    """200 when the gateway and its database answer, 503 when the database does not."""
    body = {"status": "ok", "version": __version__, "database": ctx.storage.backend}
    if not await ctx.storage.ping():
        return JSONResponse({**body, "status": "database_unavailable"}, 503)
    return JSONResponse(body)
