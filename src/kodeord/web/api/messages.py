"""HTTP API for messages: send one (`POST /v1/messages`) or a batch, cancel a scheduled
one, list and read back the caller's messages (inbound and outbound).

Sending is for customers only (an API key of a customer), counted against the key's
token bucket first (app/mt/send_limits.py: 429 `rate_limited` with Retry-After, nothing
queued). Shapes are checked here (types, lengths); what the gateway decides (sender,
recipient, text, schedule, validity, opt-outs) is checked in app/mt/outbound.py and
refused with its own error code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from kodeord.app.accounts.customers import Principal
from kodeord.app.errors import AppError, Forbidden, Invalid
from kodeord.app.mt import messages
from kodeord.app.mt.outbound import Accepted, MtRequest
from kodeord.app.mt.ports import Origin
from kodeord.app.mt.send_limits import RateLimited
from kodeord.domain.outbound import MAX_BATCH
from kodeord.web.deps import ERRORS, Caller, Ctx, Gw
from kodeord.web.errors import error_response
from kodeord.web.models import Body, ErrorBody, Id, Instant, Out
from kodeord.wiring import Gateway

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["messages"])
TEXT_LIMIT = 5000  # characters accepted at all; the segment limit refuses long ones clearly


class AcceptedOut(Out):
    id: int
    status: str
    sender: str = Field(alias="from")
    to: str
    segments: int
    encoding: str
    price_ore: int
    send_at: datetime | None


class BatchOut(Out):
    messages: list[AcceptedOut]
    count: int
    price_ore: int


class MessageOut(Out):
    id: int
    direction: Literal["inbound", "outbound"]
    status: str
    customer_id: int | None
    number: str | None
    to: str | None
    sender: str | None = Field(alias="from")
    text: str | None
    body: str | None
    keyword: str | None
    lease_id: int | None
    route_step: str | None
    destination: Any
    encoding: str
    segments: int
    received_at: datetime
    routed_at: datetime | None
    delivered_at: datetime | None
    price_ore: int | None
    reference: str | None
    send_at: datetime | None
    expires_at: datetime | None
    origin: str | None
    error: str | None


class AttemptOut(Out):
    attempt: int
    destination: str
    target: str | None
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    at: datetime


class MessageEventOut(Out):
    status: str
    detail: str | None
    at: datetime


class PartOut(Out):
    seq: int
    status: str
    operator_ref: str | None
    link: str | None


class MessageDetailOut(MessageOut):
    attempts: list[AttemptOut]
    history: list[MessageEventOut]
    parts: list[PartOut]


class _Common(Body):
    sender: str = Field(alias="from", min_length=1, max_length=21)
    text: str = Field(max_length=TEXT_LIMIT)
    conversation: bool = Field(
        False,
        description="part of the phone's conversation: on a number with dialog IDs it goes"
        " out from the number plus the conversation's suffix, so the answer needs no keyword",
    )
    keyword: str | None = Field(None, max_length=64)
    reference: str | None = Field(None, max_length=100)
    callback_url: str | None = Field(None, max_length=2000)
    send_at: datetime | None = None
    validity_minutes: int | None = None


class MessageIn(_Common):
    sender: str | None = Field(None, alias="from", min_length=1, max_length=21)  # type: ignore[assignment]
    to: str | None = Field(None, min_length=1, max_length=32)
    reply_to: Id | None = Field(
        None,
        description="the id of a message you received: the answer goes to its phone from its"
        " number (then `from` and `to` may be left out) and is part of the conversation",
    )


class BatchIn(_Common):
    to: list[Annotated[str, Field(min_length=1, max_length=32)]] = Field(max_length=MAX_BATCH)


def _requests(body: _Common, recipients: list[str], reply_to: int | None = None) -> list[MtRequest]:
    return [
        MtRequest(
            sender=body.sender or "",
            to=to,
            text=body.text,
            keyword=body.keyword,
            reference=body.reference,
            callback_url=body.callback_url,
            send_at=body.send_at,
            validity_minutes=body.validity_minutes,
            conversation=body.conversation,
            reply_to=reply_to,
        )
        for to in recipients
    ]


LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "rate_limited: over the key's sending limit; nothing was queued",
        "headers": {"Retry-After": {"description": "whole seconds", "schema": {"type": "integer"}}},
    }
}


def _customer(caller: Principal) -> int:
    if caller.customer_id is None:
        raise Forbidden("customer_only", "messages are sent by customers; use a customer key")
    return int(caller.customer_id)


async def accept_counted(
    gw: Gateway, caller: Principal, requests: list[MtRequest], origin: str = Origin.API
) -> list[Accepted]:
    """Count the recipients against the caller's key, then queue (or give them back)."""
    customer_id = _customer(caller)
    limits = gw.outbound.send_limits
    # a principal made without a key (tools, tests) counts in one bucket per customer
    key_id = caller.key_id if caller.key_id is not None else -customer_id
    await limits.take(key_id, customer_id, len(requests))
    try:
        return await gw.outbound.accept(customer_id, requests, origin=origin)
    except AppError:
        limits.give_back(key_id, customer_id, len(requests))
        raise


async def rate_limited(_request: Request, exc: Exception) -> JSONResponse:
    """429 in the error shape, with Retry-After (installed by web/app.py)."""
    assert isinstance(exc, RateLimited)
    response = error_response(exc.status, exc.code, exc.message, **exc.details)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.post("/messages", status_code=202, response_model=AcceptedOut, responses=LIMITED)
async def send_message(gw: Gw, caller: Caller, body: MessageIn) -> dict[str, Any]:
    """Queue one SMS from a short number; 202 with what the operator will get."""
    if body.reply_to is None:
        for field, value in (("from", body.sender), ("to", body.to)):
            if not value:
                raise Invalid("missing_field", f"{field} is needed without reply_to", field=field)
    requests = _requests(body, [body.to or ""], body.reply_to)
    (accepted,) = await accept_counted(gw, caller, requests)
    return accepted.view()


@router.post("/messages/batch", status_code=202, response_model=BatchOut, responses=LIMITED)
async def send_batch(gw: Gw, caller: Caller, body: BatchIn) -> dict[str, Any]:
    """One text to up to 1,000 recipients: all are queued, or none (the first problem)."""
    accepted = await accept_counted(gw, caller, _requests(body, body.to))
    return {
        "messages": [item.view() for item in accepted],
        "count": len(accepted),
        "price_ore": sum(item.price_ore for item in accepted),
    }


@router.get("/messages", response_model=list[MessageOut])
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


@router.get("/messages/{message_id}", response_model=MessageDetailOut)
async def get_message(ctx: Ctx, caller: Caller, message_id: Id) -> dict[str, Any]:
    return await messages.get_message(ctx, caller, message_id)


@router.post("/messages/{message_id}/cancel", response_model=MessageDetailOut)
async def cancel_message(ctx: Ctx, gw: Gw, caller: Caller, message_id: Id) -> dict[str, Any]:
    """Cancel a message whose sending has not begun (e.g. scheduled with `send_at`): it
    ends `cancelled` (409 `not_cancellable` once sending has begun or it has ended)."""
    await gw.outbound.cancel(caller.customer_id, message_id)
    return await messages.get_message(ctx, caller, message_id)
