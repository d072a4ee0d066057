"""HTTP API for customers: create, list, suspend and resume them (admin), a customer's own
settings and webhook signing secret, and the admin's view of a customer's sending limits.

What suspension does is app/accounts/customers.py's business; here suspending also closes
the customer's open SMPP binds on this process."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kodeord.app.accounts import customers as accounts
from kodeord.app.mt import messages, send_limits
from kodeord.web.deps import ERRORS, Admin, Caller, Ctx, Gw
from kodeord.web.models import Body, Id, Out, Route

router = APIRouter(prefix="/v1", responses=ERRORS)


class CustomerIn(Body):
    name: str = Field(min_length=1, max_length=200)


class CustomerOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    state: Literal["active", "suspended"]
    suspended_at: datetime | None


class SuspensionOut(CustomerOut):
    changed: bool = Field(description="false: it was in that state already")


class SigningSecretOut(Out):
    secret: str = Field(description="shown once")


class SettingsOut(Out):
    session_window_minutes: int | None
    default_route: dict[str, Any] | None


class SettingsIn(Body):
    session_window_minutes: int | None = Field(None, ge=1, le=7 * 24 * 60)
    default_route: Route | None = None


class LimitsIn(Body):
    send_rate_per_second: float | None = Field(
        None, gt=0, le=1_000_000, description="recipients a second per key; null: the default"
    )
    send_burst: int | None = Field(
        None, ge=1, le=1_000_000, description="recipients at once per key; null: the default"
    )


class LimitsOut(BaseModel):
    customer_id: int
    send_rate_per_second: float
    send_burst: int
    own_rate: bool = Field(description="false: the gateway's default (KODEORD_SEND_RATE)")
    own_burst: bool = Field(description="false: the gateway's default (KODEORD_SEND_BURST)")


@router.post("/customers", status_code=201, response_model=CustomerOut, tags=["admin"])
async def create_customer(ctx: Ctx, _: Admin, body: CustomerIn) -> dict[str, Any]:
    return await accounts.create_customer(ctx, body.name)


@router.get("/customers", response_model=list[CustomerOut], tags=["admin"])
async def list_customers(ctx: Ctx, _: Admin) -> list[dict[str, Any]]:
    return await accounts.list_customers(ctx)


@router.post("/customers/{customer_id}/suspend", response_model=SuspensionOut, tags=["admin"])
async def suspend_customer(ctx: Ctx, gw: Gw, _: Admin, customer_id: Id) -> dict[str, Any]:
    """Suspend: its keys get 403 `customer_suspended`, its SMPP binds ESME_RBINDFAIL (open
    ones are closed), its MO go to the operator inbox."""
    found = await accounts.suspend_customer(ctx, customer_id)
    await gw.customer_smpp.close_customer_binds(customer_id)
    return found


@router.post("/customers/{customer_id}/resume", response_model=SuspensionOut, tags=["admin"])
async def resume_customer(ctx: Ctx, _: Admin, customer_id: Id) -> dict[str, Any]:
    return await accounts.resume_customer(ctx, customer_id)


@router.post("/signing-secret", status_code=201, response_model=SigningSecretOut, tags=["messages"])
async def signing_secret(ctx: Ctx, caller: Caller) -> dict[str, Any]:
    """Create or rotate the secret webhooks are signed with (Standard Webhooks); shown once."""
    return await messages.rotate_signing_secret(ctx, caller)


@router.put("/settings", response_model=SettingsOut, tags=["messages"])
async def customer_settings(ctx: Ctx, caller: Caller, body: SettingsIn) -> dict[str, Any]:
    route = body.default_route.model_dump() if body.default_route else None
    # the use case tells the router (ctx.routing_changed): session routing may have changed
    return await messages.set_customer_settings(ctx, caller, body.session_window_minutes, route)


@router.get("/customers/{customer_id}/limits", response_model=LimitsOut, tags=["admin"])
async def get_limits(ctx: Ctx, _: Admin, customer_id: Id) -> dict[str, Any]:
    return await send_limits.get_limits(ctx, customer_id)


@router.put("/customers/{customer_id}/limits", response_model=LimitsOut, tags=["admin"])
async def set_limits(ctx: Ctx, gw: Gw, _: Admin, customer_id: Id, body: LimitsIn) -> dict[str, Any]:
    """The customer's sending limit per API key (a null part: the gateway's default)."""
    return await send_limits.set_limits(
        ctx, gw.outbound.send_limits, customer_id, body.send_rate_per_second, body.send_burst
    )
