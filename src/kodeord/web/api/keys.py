"""HTTP API for API keys: make, list, name, revoke and rotate them.

The admin works on any customer's keys under `/v1/customers/{customer_id}/api-keys`, a
customer on its own under `/v1/api-keys`. A new key (made or rotated) is shown in that
response only. Every change is audited (web/audit_hook.py): the admin's through
authentication, a customer's through `KeyCaller` here. The rules live in app/accounts/customers.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from kodeord.app.accounts import customers as accounts
from kodeord.app.accounts.customers import Principal
from kodeord.web import audit_hook
from kodeord.web.deps import ERRORS, Admin, Caller, Ctx
from kodeord.web.models import Body, Id

router = APIRouter(prefix="/v1", responses=ERRORS)
KeyName = Annotated[str, Field(min_length=1, max_length=accounts.MAX_KEY_NAME_LENGTH)]


async def key_caller(request: Request, caller: Caller) -> Principal:
    audit_hook.mark(request, caller)  # a customer's changes to its keys are audited too
    return caller


KeyCaller = Annotated[Principal, Depends(key_caller)]


class ApiKeyIn(Body):
    name: KeyName | None = Field(None, description="e.g. 'webshop production'")


class ApiKeyRename(Body):
    name: KeyName | None


class ApiKeyView(BaseModel):
    id: int
    customer_id: int
    prefix: str = Field(description="the start of the key, e.g. ko_12_")
    name: str | None
    created_at: datetime
    last_used_at: datetime | None = Field(description="updated at most once a minute")
    revoked_at: datetime | None
    revoked: bool


class NewApiKey(ApiKeyView):
    key: str = Field(description="shown once; only a hash is stored")
    replaces: int | None = Field(None, description="rotation: the key this one replaced")


def _noted(request: Request, made: dict[str, Any], key_id: int | None = None) -> dict[str, Any]:
    audit_hook.note(
        request,
        target=f"api_key:{key_id or made['id']}",
        customer_id=made["customer_id"],
        **({"new_key_id": made["id"]} if key_id is not None and key_id != made["id"] else {}),
    )
    return made


# --- the admin, for any customer --------------------------------------------------------


@router.post(
    "/customers/{customer_id}/api-keys",
    status_code=201,
    response_model=NewApiKey,
    tags=["admin"],
    name="api_key.create",
)
async def create_api_key(
    ctx: Ctx, _: Admin, request: Request, customer_id: Id, body: ApiKeyIn | None = None
) -> dict[str, Any]:
    name = body.name if body is not None else None
    return _noted(request, await accounts.create_api_key(ctx, customer_id, name))


@router.get("/customers/{customer_id}/api-keys", response_model=list[ApiKeyView], tags=["admin"])
async def list_api_keys(ctx: Ctx, caller: Admin, customer_id: Id) -> list[dict[str, Any]]:
    return await accounts.list_keys(ctx, caller, customer_id)


@router.patch(
    "/customers/{customer_id}/api-keys/{key_id}",
    response_model=ApiKeyView,
    tags=["admin"],
    name="api_key.rename",
)
async def rename_api_key(
    ctx: Ctx, caller: Admin, request: Request, customer_id: Id, key_id: Id, body: ApiKeyRename
) -> dict[str, Any]:
    renamed = await accounts.rename_key(ctx, caller, key_id, body.name, customer_id)
    return _noted(request, renamed)


@router.delete(
    "/customers/{customer_id}/api-keys/{key_id}",
    response_model=ApiKeyView,
    tags=["admin"],
    name="api_key.revoke",
)
async def revoke_api_key(
    ctx: Ctx, caller: Admin, request: Request, customer_id: Id, key_id: Id
) -> dict[str, Any]:
    """Revoke now: the key is refused (401) from the next request on."""
    return _noted(request, await accounts.revoke_key(ctx, caller, key_id, customer_id))


@router.post(
    "/customers/{customer_id}/api-keys/{key_id}/rotate",
    status_code=201,
    response_model=NewApiKey,
    tags=["admin"],
    name="api_key.rotate",
)
async def rotate_api_key(
    ctx: Ctx, caller: Admin, request: Request, customer_id: Id, key_id: Id
) -> dict[str, Any]:
    """A new key with the same name; the old one is revoked."""
    made = await accounts.rotate_key(ctx, caller, key_id, customer_id)
    return _noted(request, made, key_id)


# --- a customer, for its own keys ---------------------------------------------------------


@router.get("/api-keys", response_model=list[ApiKeyView], tags=["api-keys"])
async def list_own_api_keys(ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    return await accounts.list_keys(ctx, caller)


@router.post(
    "/api-keys",
    status_code=201,
    response_model=NewApiKey,
    tags=["api-keys"],
    name="api_key.create",
)
async def create_own_api_key(
    ctx: Ctx, caller: KeyCaller, request: Request, body: ApiKeyIn | None = None
) -> dict[str, Any]:
    name = body.name if body is not None else None
    return _noted(request, await accounts.create_key(ctx, caller, name))


@router.patch(
    "/api-keys/{key_id}", response_model=ApiKeyView, tags=["api-keys"], name="api_key.rename"
)
async def rename_own_api_key(
    ctx: Ctx, caller: KeyCaller, request: Request, key_id: Id, body: ApiKeyRename
) -> dict[str, Any]:
    return _noted(request, await accounts.rename_key(ctx, caller, key_id, body.name, None))


@router.delete(
    "/api-keys/{key_id}", response_model=ApiKeyView, tags=["api-keys"], name="api_key.revoke"
)
async def revoke_own_api_key(
    ctx: Ctx, caller: KeyCaller, request: Request, key_id: Id
) -> dict[str, Any]:
    """Revoke now (the key making this call too, if it is the one named)."""
    return _noted(request, await accounts.revoke_key(ctx, caller, key_id, None))


@router.post(
    "/api-keys/{key_id}/rotate",
    status_code=201,
    response_model=NewApiKey,
    tags=["api-keys"],
    name="api_key.rotate",
)
async def rotate_own_api_key(
    ctx: Ctx, caller: KeyCaller, request: Request, key_id: Id
) -> dict[str, Any]:
    return _noted(request, await accounts.rotate_key(ctx, caller, key_id, None), key_id)
