"""The HTTP API's dependencies: the context, the gateway, the caller, the error table.

Rules:
- One way to reach each thing: the context and the gateway are the app's state, set once
  by `web.app.create_app`; handlers take them as `Ctx` and `Gw`, never from the request.
- Authentication is `Authorization: Bearer <token>`: the provider's admin token
  (`KODEORD_ADMIN_TOKEN`) or a customer's API key. FastAPI's `HTTPBearer` declares it in
  the OpenAPI document (the lock on every authenticated route, /docs' Authorize button);
  it is built with auto_error=False so that every failure keeps our error shape
  (401 `missing_token` / `invalid_token`, 403 `admin_only`), decided here.
- Every request made with the admin token is marked for the audit log here, so admin
  routes are audited without their handlers doing anything (web/audit_hook.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kodeord.app.accounts import customers as accounts
from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Forbidden, Unauthorized
from kodeord.web import audit_hook
from kodeord.web.models import ErrorBody
from kodeord.wiring import Gateway

_ERROR_STATUSES = {
    400: "malformed JSON or a bad request",
    401: "no token, or one that is not valid",
    403: "the token may not do this (e.g. admin only)",
    404: "no such thing, or not yours",
    409: "the request conflicts with what exists",
    413: "too_large: the body is over the size limit",
    415: "the body is not JSON",
    422: "validation_error, or a rule of the gateway refused it",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _ERROR_STATUSES.items()
}


def context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def gateway(request: Request) -> Gateway:
    found: Gateway = request.app.state.gateway
    return found


Ctx = Annotated[Context, Depends(context)]
Gw = Annotated[Gateway, Depends(gateway)]


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="the provider's admin token or a customer's API key (`ko_…`)",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def bearer_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    """The token of `Authorization: Bearer <token>`, or 401 in our shape. `bearer` gives
    None both when the header is missing and when it is not a bearer one: the header
    itself tells the two apart."""
    token = credentials.credentials.strip() if credentials is not None else ""
    if token:
        return token
    if not request.headers.get("authorization"):
        raise Unauthorized("missing_token", "send Authorization: Bearer <API key>")
    raise Unauthorized("invalid_token", "the Authorization header must be 'Bearer <API key>'")


async def principal(request: Request, ctx: Ctx, credentials: Credentials) -> Principal:
    caller = await accounts.authenticate(ctx, bearer_token(request, credentials))
    if caller.is_admin:
        audit_hook.mark(request, caller)  # every change the admin makes is audited
    return caller


Caller = Annotated[Principal, Depends(principal)]


async def admin(caller: Caller) -> Principal:
    if not caller.is_admin:
        raise Forbidden("admin_only", "this call needs the provider's admin token")
    return caller


Admin = Annotated[Principal, Depends(admin)]
