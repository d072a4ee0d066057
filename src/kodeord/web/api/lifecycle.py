"""HTTP API for a keyword's life: cancel, history, suspend, transfer, force-release,
protected brands and claims (app/keywords/lifecycle.py has the rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import Field

from kodeord.app.keywords import lifecycle
from kodeord.web import models as m
from kodeord.web.deps import ERRORS, Admin, Caller, Ctx
from kodeord.web.models import Body, Out

router = APIRouter(prefix="/v1", responses=ERRORS)


class HistoryEventOut(Out):
    action: str
    actor: str | None = None
    detail: dict[str, Any] | None = None
    at: datetime


class BrandOut(Out):
    id: int
    name: str
    holder_customer_id: int | None
    created_at: datetime


class ClaimOut(Out):
    """The admin also sees `lease_id` and `claimant_customer_id` (extra fields: a customer's
    view has no such keys at all)."""

    id: int
    number: str
    keyword: str
    reason: str
    status: Literal["open", "transferred", "rejected"]
    note: str | None
    created_at: datetime
    decided_at: datetime | None


class TransferIn(Body):
    customer_id: m.Id
    reason: str = Field("", max_length=500)


class BrandIn(Body):
    name: str = Field(min_length=1, max_length=64)
    holder_customer_id: m.Id | None = None


class ClaimIn(Body):
    number: str = Field(min_length=1, max_length=16)
    keyword: str = Field(min_length=1, max_length=64)
    reason: str = Field(max_length=1000)


class DecisionIn(Body):
    decision: Literal["transfer", "reject"]
    note: str | None = Field(None, max_length=1000)


@router.post("/keywords/{lease_id}/cancel", response_model=m.LeaseOut, tags=["keywords"])
async def cancel(ctx: Ctx, caller: Caller, lease_id: m.Id) -> dict[str, Any]:
    """End the lease when its current term ends (renewal stops)."""
    return await lifecycle.cancel(ctx, caller, lease_id)


@router.post("/keywords/{lease_id}/uncancel", response_model=m.LeaseOut, tags=["keywords"])
async def uncancel(ctx: Ctx, caller: Caller, lease_id: m.Id) -> dict[str, Any]:
    """Keep renewing after all (before the term has ended)."""
    return await lifecycle.cancel(ctx, caller, lease_id, undo=True)


@router.get("/keywords/{lease_id}/history", response_model=list[HistoryEventOut], tags=["keywords"])
async def history(ctx: Ctx, caller: Caller, lease_id: m.Id) -> list[dict[str, Any]]:
    return await lifecycle.history(ctx, caller, lease_id)


@router.post("/keywords/{lease_id}/suspend", response_model=m.LeaseOut, tags=["admin"])
async def suspend(ctx: Ctx, _: Admin, lease_id: m.Id) -> dict[str, Any]:
    """Messages to a suspended keyword go to the operator inbox; the term runs on."""
    return await lifecycle.set_suspended(ctx, lease_id, True)


@router.post("/keywords/{lease_id}/resume", response_model=m.LeaseOut, tags=["admin"])
async def resume(ctx: Ctx, _: Admin, lease_id: m.Id) -> dict[str, Any]:
    return await lifecycle.set_suspended(ctx, lease_id, False)


@router.post("/keywords/{lease_id}/transfer", response_model=m.LeaseOut, tags=["admin"])
async def transfer(ctx: Ctx, _: Admin, lease_id: m.Id, body: TransferIn) -> dict[str, Any]:
    """Give the lease to another customer (its route resets to that customer's inbox)."""
    return await lifecycle.transfer(ctx, lease_id, body.customer_id, reason=body.reason)


@router.post("/keywords/{lease_id}/force-release", response_model=m.LeaseOut, tags=["admin"])
async def force_release(ctx: Ctx, _: Admin, lease_id: m.Id) -> dict[str, Any]:
    """End the lease now, without quarantine."""
    return await lifecycle.force_release(ctx, lease_id)


@router.get("/brands", response_model=list[BrandOut], tags=["admin"])
async def list_brands(ctx: Ctx, _: Admin) -> list[dict[str, Any]]:
    return await lifecycle.list_brands(ctx)


@router.post("/brands", status_code=201, response_model=BrandOut, tags=["admin"])
async def add_brand(ctx: Ctx, _: Admin, body: BrandIn) -> dict[str, Any]:
    return await lifecycle.add_brand(ctx, body.name, body.holder_customer_id)


@router.delete("/brands/{brand_id}", status_code=204, response_class=Response, tags=["admin"])
async def delete_brand(ctx: Ctx, _: Admin, brand_id: m.Id) -> Response:
    await lifecycle.delete_brand(ctx, brand_id)
    return Response(status_code=204)


@router.post("/keyword-claims", status_code=201, response_model=ClaimOut, tags=["keywords"])
async def file_claim(ctx: Ctx, caller: Caller, body: ClaimIn) -> dict[str, Any]:
    """Ask the provider for a keyword another customer holds (e.g. your brand)."""
    return await lifecycle.file_claim(ctx, caller, body.number, body.keyword, body.reason)


@router.get("/keyword-claims", response_model=list[ClaimOut], tags=["keywords"])
async def list_claims(ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """Admin: every claim. Customer: its own."""
    return await lifecycle.list_claims(ctx, caller)


@router.post("/keyword-claims/{claim_id}/decision", response_model=ClaimOut, tags=["admin"])
async def decide(ctx: Ctx, _: Admin, claim_id: m.Id, body: DecisionIn) -> dict[str, Any]:
    return await lifecycle.decide_claim(ctx, claim_id, body.decision, body.note)
