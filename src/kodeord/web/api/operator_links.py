"""HTTP API for the gateway's SMPP links to operators (admin only): add one (it starts
binding at once), list them with their state, remove one (it unbinds)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from kodeord.app.links.operator_links import LinkConfig
from kodeord.web.deps import ERRORS, Admin, Gw
from kodeord.web.models import Body, Out

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["admin"])


class LinkOut(Out):
    name: str
    host: str
    port: int
    system_id: str
    bind: Literal["transceiver", "receiver", "transmitter"]
    window: int
    max_rate: float | None
    state: str
    in_use: int = Field(0, description="requests awaiting the operator's answer (of window)")
    per_second: float = Field(0.0, description="messages accepted a second, since the last look")
    last_error: str | None = None
    last_error_at: datetime | None = None


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


@router.post("/operator-links", status_code=201, response_model=LinkOut)
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


@router.get("/operator-links", response_model=list[LinkOut])
async def list_links(gw: Gw, _: Admin) -> list[dict[str, Any]]:
    """The links with their live state: bound or not, window in use, rate, last error."""
    return gw.links.live()


@router.delete("/operator-links/{name}", status_code=204, response_class=Response)
async def remove_link(gw: Gw, _: Admin, name: str) -> Response:
    await gw.links.remove(name)
    return Response(status_code=204)
