"""HTTP API for keyword leases: availability, lease, list, read, release, route; and the
reserved words no one may lease (app/keywords/leasing.py has the rules).

Order matters: `/keywords/availability` is declared before `/keywords/{lease_id}`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from kodeord.app.keywords import leasing as keywords
from kodeord.web import models as m
from kodeord.web.deps import ERRORS, Admin, Caller, Ctx
from kodeord.web.models import Body, Id, NumberText

router = APIRouter(prefix="/v1", responses=ERRORS)
NumberQuery = Annotated[str, Query(min_length=1, max_length=16, examples=["2077"])]
KeywordQuery = Annotated[str, Query(min_length=1, max_length=64, examples=["Pizza!"])]


class ReservedWordIn(Body):
    word: str = Field(min_length=1, max_length=64)


class ReservedWordOut(BaseModel):
    word: str
    builtin: bool
    created_at: datetime | None


class ReasonOut(BaseModel):
    code: str = Field(
        description="taken, reserved, invalid, dedicated_number, duplicate, quarantined,"
        " confusable, protected"
    )
    message: str
    keyword: str
    near: str | None = Field(None, description="the keyword or brand it clashes with")


class WarningOut(BaseModel):
    code: Literal["similar", "sounds_like"]
    message: str
    keyword: str
    near: str = Field(description="the keyword it is near (never who holds it)")
    distance: int | None = None


class AvailabilityOut(BaseModel):
    available: bool
    keyword: str = Field(description="the canonical keyword, e.g. PIZZA")
    reasons: list[ReasonOut]
    warnings: list[WarningOut] = []
    suggestions: list[str] = []
    monthly_fee_ore: int


class LeaseIn(Body):
    number: NumberText
    keyword: str = Field(min_length=1, max_length=64)
    aliases: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=10
    )
    customer_id: Id | None = Field(None, description="admin only: lease for this customer")


class RouteWarningOut(BaseModel):
    code: Literal["no_signing_secret"]
    message: str


class LeaseRouteOut(m.LeaseOut):
    warnings: list[RouteWarningOut] = Field(
        default_factory=list, description="what will not work yet (the route is set)"
    )


@router.get("/reserved-words", response_model=list[ReservedWordOut], tags=["admin"])
async def list_reserved_words(ctx: Ctx, _: Caller) -> list[dict[str, Any]]:
    return await keywords.list_reserved(ctx)


@router.post("/reserved-words", status_code=201, response_model=ReservedWordOut, tags=["admin"])
async def add_reserved_word(ctx: Ctx, _: Admin, body: ReservedWordIn) -> dict[str, Any]:
    return await keywords.add_reserved(ctx, body.word)


@router.delete("/reserved-words/{word}", status_code=204, response_class=Response, tags=["admin"])
async def remove_reserved_word(ctx: Ctx, _: Admin, word: str) -> Response:
    await keywords.remove_reserved(ctx, word)
    return Response(status_code=204)


@router.get("/keywords/availability", response_model=AvailabilityOut, tags=["keywords"])
async def keyword_availability(
    ctx: Ctx,
    caller: Caller,
    number: NumberQuery,
    keyword: KeywordQuery,
    customer_id: m.Id | None = None,
) -> dict[str, Any]:
    """Whether the caller can lease `keyword` on `number`, and every reason if not."""
    return await keywords.availability(ctx, caller, number, keyword, customer_id)


@router.post("/keywords", status_code=201, response_model=m.LeaseOut, tags=["keywords"])
async def lease_keyword(ctx: Ctx, caller: Caller, body: LeaseIn) -> dict[str, Any]:
    return await keywords.lease(
        ctx, caller, body.number, body.keyword, body.aliases, body.customer_id
    )


@router.get("/keywords", response_model=list[m.LeaseOut], tags=["keywords"])
async def list_keywords(ctx: Ctx, caller: Caller, include_released: bool = False) -> list[Any]:
    return await keywords.list_leases(ctx, caller, include_released)


@router.get("/keywords/{lease_id}", response_model=m.LeaseOut, tags=["keywords"])
async def get_keyword(ctx: Ctx, caller: Caller, lease_id: m.Id) -> dict[str, Any]:
    return await keywords.get_lease(ctx, caller, lease_id)


@router.delete("/keywords/{lease_id}", response_model=m.LeaseOut, tags=["keywords"])
async def release_keyword(ctx: Ctx, caller: Caller, lease_id: m.Id) -> dict[str, Any]:
    """End the lease now; the keyword becomes available to others."""
    return await keywords.release(ctx, caller, lease_id)


@router.put("/keywords/{lease_id}/route", response_model=LeaseRouteOut, tags=["keywords"])
async def set_keyword_route(
    ctx: Ctx, caller: Caller, lease_id: m.Id, route: m.Route
) -> dict[str, Any]:
    return await keywords.set_route(ctx, caller, lease_id, route.model_dump())
