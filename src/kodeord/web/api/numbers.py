"""HTTP API for short numbers: the admin creates them, sets a number's HELP text,
unknown-keyword reply and reply language, and its own versions of the gateway's texts
(docs/texts.md); everyone lists the numbers they may use."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kodeord.app.keywords import numbers, texts
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
    reply_language: Literal["nb", "en"]
    dialog_ids: bool


class NumberSettingsIn(Body):
    help_text: str | None = Field(None, max_length=480)
    reply_unknown: bool = False
    reply_language: Literal["nb", "en"] = "nb"
    dialog_ids: bool = Field(
        False,
        description="MT in a conversation go out from the number plus a dialog suffix"
        " (2077 + 0421), so the phone's answer reaches the same customer without a keyword",
    )


class GatewayTextOut(BaseModel):
    key: str
    language: Literal["nb", "en"]
    text: str  # what phones get: the number's version, else the default
    default: str
    overridden: bool
    placeholders: list[str]
    gsm7: bool
    segments: int


class NumberTextsOut(BaseModel):
    number: str
    reply_language: Literal["nb", "en"]
    texts: list[GatewayTextOut]


class GatewayTextIn(Body):
    text: str = Field(max_length=1000)


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


@router.get("/numbers/{number}/settings", response_model=NumberSettingsOut, tags=["admin"])
async def read_number_settings(ctx: Ctx, _: Admin, number: str) -> dict[str, Any]:
    return await messages.number_settings(ctx, number)


@router.put("/numbers/{number}/settings", response_model=NumberSettingsOut, tags=["admin"])
async def number_settings(
    ctx: Ctx, _: Admin, number: str, body: NumberSettingsIn
) -> dict[str, Any]:
    # the use case tells the router the number's settings changed (ctx.routing_changed)
    return await messages.set_number_settings(
        ctx, number, body.help_text, body.reply_unknown, body.reply_language, body.dialog_ids
    )


@router.get("/numbers/{number}/texts", response_model=NumberTextsOut, tags=["admin"])
async def number_texts(ctx: Ctx, _: Admin, number: str) -> dict[str, Any]:
    return await texts.list_texts(ctx, number)


@router.put("/numbers/{number}/texts/{key}/{lang}", response_model=GatewayTextOut, tags=["admin"])
async def set_number_text(
    ctx: Ctx, _: Admin, number: str, key: str, lang: str, body: GatewayTextIn
) -> dict[str, Any]:
    return await texts.set_text(ctx, number, key, lang, body.text)


@router.delete(
    "/numbers/{number}/texts/{key}/{lang}", response_model=GatewayTextOut, tags=["admin"]
)
async def reset_number_text(ctx: Ctx, _: Admin, number: str, key: str, lang: str) -> dict[str, Any]:
    return await texts.reset_text(ctx, number, key, lang)
