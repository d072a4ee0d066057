"""HTTP API for customers' SMPP accounts (admin only).

`POST /v1/customers/{id}/smpp-accounts` issues `{system_id, password}` (the password is
shown once; only a salted scrypt hash is kept), `GET` lists a customer's accounts
without passwords, `DELETE /v1/smpp-accounts/{system_id}` revokes one and closes its
open binds. The rules live in app/binds/customer_smpp.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from kodeord.app.binds import customer_smpp
from kodeord.web.deps import ERRORS, Admin, Ctx, Gw
from kodeord.web.models import Body, Id

router = APIRouter(prefix="/v1", responses=ERRORS, tags=["admin"])


class SmppAccountIn(Body):
    system_id: str | None = Field(
        None, min_length=1, max_length=15, description="generated when left out"
    )


class SmppAccountOut(BaseModel):
    system_id: str
    customer_id: int
    created_at: datetime
    revoked_at: datetime | None


class NewSmppAccountOut(SmppAccountOut):
    password: str = Field(description="shown once; only a hash is stored")


@router.post(
    "/customers/{customer_id}/smpp-accounts", status_code=201, response_model=NewSmppAccountOut
)
async def create_smpp_account(
    ctx: Ctx, _: Admin, customer_id: Id, body: SmppAccountIn | None = None
) -> dict[str, Any]:
    system_id = body.system_id if body is not None else None
    return await customer_smpp.create_account(ctx, customer_id, system_id)


@router.get("/customers/{customer_id}/smpp-accounts", response_model=list[SmppAccountOut])
async def list_smpp_accounts(ctx: Ctx, _: Admin, customer_id: Id) -> list[dict[str, Any]]:
    return await customer_smpp.list_accounts(ctx, customer_id)


@router.delete("/smpp-accounts/{system_id}", response_model=SmppAccountOut)
async def revoke_smpp_account(ctx: Ctx, gw: Gw, _: Admin, system_id: str) -> dict[str, Any]:
    """Revoke: further binds are refused (ESME_RINVSYSID) and open binds are closed."""
    return await customer_smpp.revoke_account(ctx, system_id, gw.customer_smpp)
