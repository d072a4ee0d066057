"""HTTP API for messages: operator links, read-back, signing secrets, settings, dead
letters and /metrics. Thin handlers over app/ use cases (see api.py for the rules)."""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import Field

from kodeord.app.errors import Unauthorized
from kodeord.app.links.operator_links import LinkConfig
from kodeord.app.metrics import METRICS
from kodeord.app.mt import messages
from kodeord.web import models as m
from kodeord.web.api import ERRORS, Admin, Caller, Ctx
from kodeord.web.models import Body, Id, Instant, Offset, Route
from kodeord.wiring import Gateway


def gateway(request: Request) -> Gateway:
    found: Gateway = request.app.state.gateway
    return found


Gw = Annotated[Gateway, Depends(gateway)]
router = APIRouter(prefix="/v1", responses=ERRORS)


# SMPP's C-Octet Strings are ASCII (5.1); a host is a DNS name or an IP literal.
_SMPP_TEXT = r"^[\x20-\x7e]*$"


class LinkIn(Body):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    host: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9.:-]*$")
    port: int = Field(ge=1, le=65535)
    system_id: str = Field(min_length=1, max_length=15, pattern=_SMPP_TEXT)
    password: str = Field(max_length=8, pattern=_SMPP_TEXT)
    bind: Literal["transceiver", "receiver", "transmitter"] = "transceiver"
    window: int = Field(10, ge=1, le=1000)
    max_rate: float | None = Field(None, gt=0)


class SettingsIn(Body):
    session_window_minutes: int | None = Field(None, ge=1, le=7 * 24 * 60)
    default_route: Route | None = None


class NumberSettingsIn(Body):
    help_text: str | None = Field(None, max_length=480)
    reply_unknown: bool = False


class ReplayIn(Body):
    id: Id | None = Field(None, description="one dead job; all of them when left out")


@router.post("/operator-links", status_code=201, response_model=m.LinkOut, tags=["admin"])
async def add_link(gw: Gw, _: Admin, body: LinkIn) -> dict[str, Any]:
    config = LinkConfig(
        body.name,
        body.host,
        body.port,
        body.system_id,
        body.password,
        body.bind,
        body.window,
        body.max_rate,
    )
    return await gw.links.add(config)


@router.get("/operator-links", response_model=list[m.LinkOut], tags=["admin"])
async def list_links(gw: Gw, _: Admin) -> list[dict[str, Any]]:
    return gw.links.views()


@router.delete("/operator-links/{name}", status_code=204, tags=["admin"])
async def remove_link(gw: Gw, _: Admin, name: str) -> Response:
    await gw.links.remove(name)
    return Response(status_code=204)


@router.post(
    "/signing-secret", status_code=201, response_model=m.SigningSecretOut, tags=["messages"]
)
async def signing_secret(ctx: Ctx, caller: Caller) -> dict[str, Any]:
    """Create or rotate the secret webhooks are signed with (Standard Webhooks); shown once."""
    return await messages.rotate_signing_secret(ctx, caller)


@router.put("/settings", response_model=m.SettingsOut, tags=["messages"])
async def customer_settings(ctx: Ctx, gw: Gw, caller: Caller, body: SettingsIn) -> dict[str, Any]:
    route = body.default_route.model_dump() if body.default_route else None
    result = await messages.set_customer_settings(ctx, caller, body.session_window_minutes, route)
    gw.registry.invalidate()  # session routing may have been switched on or off
    return result


@router.put("/numbers/{number}/settings", response_model=m.NumberSettingsOut, tags=["admin"])
async def number_settings(
    ctx: Ctx, gw: Gw, _: Admin, number: str, body: NumberSettingsIn
) -> dict[str, Any]:
    result = await messages.set_number_settings(ctx, number, body.help_text, body.reply_unknown)
    gw.registry.invalidate(number)
    return result


@router.get("/messages", response_model=list[m.MessageOut], tags=["messages"])
async def list_messages(
    ctx: Ctx,
    caller: Caller,
    direction: Literal["inbound", "outbound"] | None = None,
    keyword: Annotated[str | None, Query(max_length=16)] = None,
    number: Annotated[str | None, Query(max_length=16)] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Id | None = None,
) -> list[dict[str, Any]]:
    """The caller's messages, newest first (page with `before_id`)."""
    return await messages.list_messages(
        ctx,
        caller,
        direction=direction,
        keyword=keyword,
        number=number,
        since=since,
        until=until,
        limit=limit,
        before_id=before_id,
    )


@router.get("/messages/{message_id}", response_model=m.MessageDetailOut, tags=["messages"])
async def get_message(ctx: Ctx, caller: Caller, message_id: Id) -> dict[str, Any]:
    return await messages.get_message(ctx, caller, message_id)


@router.get("/admin/dead-letters", response_model=list[m.DeadLetterOut], tags=["admin"])
async def dead_letters(
    gw: Gw,
    _: Admin,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    return await messages.dead_letters(gw.queue, limit, offset)


@router.post("/admin/dead-letters/replay", response_model=m.ReplayOut, tags=["admin"])
async def replay(gw: Gw, _: Admin, body: ReplayIn | None = None) -> dict[str, Any]:
    return await messages.replay(gw.queue, body.id if body else None)


metrics_router = APIRouter()


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


@metrics_router.get(
    "/metrics", tags=["ops"], include_in_schema=False, dependencies=[Depends(metrics_reader)]
)
async def metrics(gw: Gw) -> Response:
    await gw.refresh_metrics()
    return Response(generate_latest(METRICS.registry), media_type=CONTENT_TYPE_LATEST)
