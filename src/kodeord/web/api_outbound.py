"""HTTP API for sending SMS: `POST /v1/messages`, `POST /v1/messages/batch`.

Customers only (an API key of a customer). Shapes are checked here (types, lengths);
what the gateway decides (sender, recipient, text, schedule, validity, opt-outs) is
checked in app/outbound.py and refused with its own error code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from kodeord.app.errors import Invalid
from kodeord.app.gateway import Gateway
from kodeord.app.outbound import MtRequest
from kodeord.domain.outbound import MAX_BATCH
from kodeord.web.api import ERRORS, Caller
from kodeord.web.models import Body


def gateway(request: Request) -> Gateway:
    found: Gateway = request.app.state.gateway
    return found


Gw = Annotated[Gateway, Depends(gateway)]
router = APIRouter(prefix="/v1", responses=ERRORS, tags=["messages"])
TEXT_LIMIT = 5000  # characters accepted at all; the segment limit refuses long ones clearly


class _Common(Body):
    sender: str = Field(alias="from", min_length=1, max_length=21)
    text: str = Field(max_length=TEXT_LIMIT)
    keyword: str | None = Field(None, max_length=64)
    reference: str | None = Field(None, max_length=100)
    callback_url: str | None = Field(None, max_length=2000)
    send_at: datetime | None = None
    validity_minutes: int | None = None


class MessageIn(_Common):
    to: str = Field(min_length=1, max_length=32)


class BatchIn(_Common):
    to: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(max_length=MAX_BATCH)


def _requests(body: _Common, recipients: list[str]) -> list[MtRequest]:
    return [
        MtRequest(
            sender=body.sender,
            to=to,
            text=body.text,
            keyword=body.keyword,
            reference=body.reference,
            callback_url=body.callback_url,
            send_at=body.send_at,
            validity_minutes=body.validity_minutes,
        )
        for to in recipients
    ]


def _customer(caller: Any) -> int:
    if caller.customer_id is None:
        raise Invalid("customer_only", "messages are sent by customers; use a customer key")
    return int(caller.customer_id)


@router.post("/messages", status_code=202)
async def send_message(gw: Gw, caller: Caller, body: MessageIn) -> dict[str, Any]:
    """Queue one SMS from a short number; 202 with what the operator will get."""
    (accepted,) = await gw.outbound.accept(_customer(caller), _requests(body, [body.to]))
    return accepted.view()


@router.post("/messages/batch", status_code=202)
async def send_batch(gw: Gw, caller: Caller, body: BatchIn) -> dict[str, Any]:
    """One text to up to 1,000 recipients: all are queued, or none (the first problem)."""
    accepted = await gw.outbound.accept(_customer(caller), _requests(body, body.to))
    return {
        "messages": [item.view() for item in accepted],
        "count": len(accepted),
        "price_ore": sum(item.price_ore for item in accepted),
    }
