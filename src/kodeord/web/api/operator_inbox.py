"""HTTP API for the operator inbox (admin only): the MO no customer received, and handing
one to a customer (app/mo/operator_inbox.py has the rules; the hand-over is audited with
the message as target and the receiving customer as whose data)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import Field

from kodeord.app.mo import operator_inbox
from kodeord.web import audit_hook
from kodeord.web.deps import ERRORS, Admin, Ctx
from kodeord.web.models import Body, Id, Out

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["admin"])


class InboxMessageOut(Out):
    id: int
    number: str | None
    to: str
    sender: str = Field(alias="from")
    text: str
    keyword: str | None
    route_step: str | None = Field(description="why no customer got it: no_match, suspended…")
    received_at: datetime
    customer_id: int | None = Field(description="set once handed over")
    handed_over_at: datetime | None
    erased_at: datetime | None


class HandOverIn(Body):
    customer_id: Id


@router.get("/admin/operator-inbox", response_model=list[InboxMessageOut])
async def list_operator_inbox(
    ctx: Ctx,
    _: Admin,
    number: Annotated[str | None, Query(max_length=16)] = None,
    phone: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=operator_inbox.MAX_PAGE)] = 100,
    before_id: Id | None = None,
) -> list[dict[str, Any]]:
    """The messages in the operator inbox, newest first (page back with `before_id`)."""
    return await operator_inbox.list_inbox(
        ctx, number=number, phone=phone, before_id=before_id, limit=limit
    )


@router.post("/admin/operator-inbox/{message_id}/hand-over", response_model=InboxMessageOut)
async def hand_over(
    ctx: Ctx, request: Request, _: Admin, message_id: Id, body: HandOverIn
) -> dict[str, Any]:
    """Move the message into the customer's inbox: it becomes that customer's MO."""
    audit_hook.note(request, target=f"message:{message_id}", customer_id=body.customer_id)
    return await operator_inbox.hand_over(ctx, message_id, body.customer_id)
