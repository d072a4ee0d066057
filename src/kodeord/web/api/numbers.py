"""HTTP API for short numbers: the admin creates them and sets a number's HELP text and
unknown-keyword reply; everyone lists the numbers they may use."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kodeord.app.keywords import numbers
from kodeord.app.mt import messages
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.web.deps import ERRORS, Admin, Caller, Ctx
from kodeord.web.models import Body, Id, NumberText, Ore, Out

router = APIRouter(prefix="/v1", responses=ERRORS)


class NumberIn(Body):
    number: NumberText
    mode: Literal["shared", "dedicated"]
    owner_customer_id: Id | None = None
    premium: bool = False
    monthly_fee_ore: Ore = 0
    setup_fee_ore: Ore = 0
    keyword_fee_ore: Ore = 0
    segment_price_ore: Ore = 0


class NumberOut(BaseModel):
    number: str
    mode: Literal["shared", "dedicated"]
    owner_customer_id: int | None
    premium: bool
    monthly_fee_ore: int
    setup_fee_ore: int
    keyword_fee_ore: int
    segment_price_ore: int


class NumberSettingsOut(Out):
    number: str
    help_text: str | None
    reply_unknown: bool


class NumberSettingsIn(Body):
    help_text: str | None = Field(None, max_length=480)
    reply_unknown: bool = False


@router.post("/numbers", status_code=201, response_model=NumberOut, tags=["admin"])
async def create_number(ctx: Ctx, _: Admin, body: NumberIn) -> dict[str, Any]:
    number = ShortNumber(
        number=body.number,
        mode=NumberMode(body.mode),
        owner_customer_id=body.owner_customer_id,
        premium=body.premium,
        monthly_fee_ore=body.monthly_fee_ore,
        setup_fee_ore=body.setup_fee_ore,
        keyword_fee_ore=body.keyword_fee_ore,
        segment_price_ore=body.segment_price_ore,
    )
    return await numbers.create_number(ctx, number)


@router.get("/numbers", response_model=list[NumberOut], tags=["numbers"])
async def list_numbers(ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """Admin: every number. Customer: shared numbers and its own dedicated ones."""
    return await numbers.list_numbers(ctx, caller)


@router.put("/numbers/{number}/settings", response_model=NumberSettingsOut, tags=["admin"])
async def number_settings(
    ctx: Ctx, _: Admin, number: str, body: NumberSettingsIn
) -> dict[str, Any]:
    # the use case tells the router the number's settings changed (ctx.routing_changed)
    return await messages.set_number_settings(ctx, number, body.help_text, body.reply_unknown)
