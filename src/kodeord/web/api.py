"""The HTTP API under /v1: thin handlers that call app/ use cases.

Authentication is `Authorization: Bearer <token>`: the provider's admin token
(`KODEORD_ADMIN_TOKEN`) or a customer's API key. Handlers only translate HTTP to use
case calls; every rule lives in app/ and domain/.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from kodeord import __version__
from kodeord.app.accounts import customers as accounts
from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Forbidden, Unauthorized
from kodeord.app.keywords import leasing as keywords
from kodeord.app.keywords import numbers
from kodeord.app.mt.send_limits import RateLimited
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.web import audit_hook
from kodeord.web import models as m
from kodeord.web.errors import install_error_handlers
from kodeord.web.limits import BodyLimit, BodyLimits
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
    code: {"model": m.ErrorBody, "description": text} for code, text in _ERROR_STATUSES.items()
}


def context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


Ctx = Annotated[Context, Depends(context)]


async def principal(
    request: Request, ctx: Ctx, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    if not authorization:
        raise Unauthorized("missing_token", "send Authorization: Bearer <API key>")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("invalid_token", "the Authorization header must be 'Bearer <API key>'")
    caller = await accounts.authenticate(ctx, token.strip())
    if caller.is_admin:
        audit_hook.mark(request, caller)  # every change the admin makes is audited
    return caller


Caller = Annotated[Principal, Depends(principal)]


async def admin(caller: Caller) -> Principal:
    if not caller.is_admin:
        raise Forbidden("admin_only", "this call needs the provider's admin token")
    return caller


Admin = Annotated[Principal, Depends(admin)]
NumberQuery = Annotated[str, Query(min_length=1, max_length=16, examples=["2077"])]
KeywordQuery = Annotated[str, Query(min_length=1, max_length=64, examples=["Pizza!"])]

v1 = APIRouter(prefix="/v1", responses=ERRORS)


@v1.post("/customers", status_code=201, response_model=m.CustomerOut, tags=["admin"])
async def create_customer(ctx: Ctx, _: Admin, body: m.CustomerIn) -> dict[str, Any]:
    return await accounts.create_customer(ctx, body.name)


@v1.get("/customers", response_model=list[m.CustomerOut], tags=["admin"])
async def list_customers(ctx: Ctx, _: Admin) -> list[dict[str, Any]]:
    return await accounts.list_customers(ctx)


@v1.post("/numbers", status_code=201, response_model=m.NumberOut, tags=["admin"])
async def create_number(ctx: Ctx, _: Admin, body: m.NumberIn) -> dict[str, Any]:
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


@v1.get("/numbers", response_model=list[m.NumberOut], tags=["numbers"])
async def list_numbers(ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """Admin: every number. Customer: shared numbers and its own dedicated ones."""
    return await numbers.list_numbers(ctx, caller)


@v1.get("/reserved-words", response_model=list[m.ReservedWordOut], tags=["admin"])
async def list_reserved_words(ctx: Ctx, _: Caller) -> list[dict[str, Any]]:
    return await keywords.list_reserved(ctx)


@v1.post("/reserved-words", status_code=201, response_model=m.ReservedWordOut, tags=["admin"])
async def add_reserved_word(ctx: Ctx, _: Admin, body: m.ReservedWordIn) -> dict[str, Any]:
    return await keywords.add_reserved(ctx, body.word)


@v1.delete("/reserved-words/{word}", status_code=204, tags=["admin"])
async def remove_reserved_word(ctx: Ctx, _: Admin, word: str) -> Response:
    await keywords.remove_reserved(ctx, word)
    return Response(status_code=204)


@v1.get("/keywords/availability", response_model=m.AvailabilityOut, tags=["keywords"])
async def keyword_availability(
    ctx: Ctx,
    caller: Caller,
    number: NumberQuery,
    keyword: KeywordQuery,
    customer_id: m.Id | None = None,
) -> dict[str, Any]:
    """Whether the caller can lease `keyword` on `number`, and every reason if not."""
    return await keywords.availability(ctx, caller, number, keyword, customer_id)


@v1.post("/keywords", status_code=201, response_model=m.LeaseOut, tags=["keywords"])
async def lease_keyword(ctx: Ctx, caller: Caller, body: m.LeaseIn) -> dict[str, Any]:
    return await keywords.lease(
        ctx, caller, body.number, body.keyword, body.aliases, body.customer_id
    )


@v1.get("/keywords", response_model=list[m.LeaseOut], tags=["keywords"])
async def list_keywords(ctx: Ctx, caller: Caller, include_released: bool = False) -> list[Any]:
    return await keywords.list_leases(ctx, caller, include_released)


@v1.get("/keywords/{lease_id}", response_model=m.LeaseOut, tags=["keywords"])
async def get_keyword(ctx: Ctx, caller: Caller, lease_id: m.Id) -> dict[str, Any]:
    return await keywords.get_lease(ctx, caller, lease_id)


@v1.delete("/keywords/{lease_id}", response_model=m.LeaseOut, tags=["keywords"])
async def release_keyword(ctx: Ctx, caller: Caller, lease_id: m.Id) -> dict[str, Any]:
    """End the lease now; the keyword becomes available to others."""
    return await keywords.release(ctx, caller, lease_id)


@v1.put("/keywords/{lease_id}/route", response_model=m.LeaseOut, tags=["keywords"])
async def set_keyword_route(
    ctx: Ctx, caller: Caller, lease_id: m.Id, route: m.Route
) -> dict[str, Any]:
    return await keywords.set_route(ctx, caller, lease_id, route.model_dump())


def create_app(ctx: Context, gateway: Gateway, body_limits: BodyLimits | None = None) -> FastAPI:
    """The HTTP app; `gateway` holds the running services the message endpoints use.
    `body_limits` defaults to KODEORD_MAX_BODY_BYTES / KODEORD_MAX_BATCH_BODY_BYTES."""
    from kodeord.web import api_audit, api_keys, api_lifecycle, api_messages, api_outbound, api_smpp

    app = FastAPI(
        title="Kodeord",
        version=__version__,
        description="SMS short-number gateway: short numbers, keyword leasing, messages.",
    )
    app.state.context = ctx
    app.state.gateway = gateway
    install_error_handlers(app)
    app.add_middleware(audit_hook.AuditMiddleware)
    app.add_exception_handler(RateLimited, api_outbound.rate_limited)  # 429 + Retry-After
    # added last, so it runs first: an oversized body is refused before anything reads it
    app.add_middleware(BodyLimit, limits=body_limits or BodyLimits.from_env())
    app.include_router(v1)
    app.include_router(api_keys.router)
    app.include_router(api_audit.router)
    app.include_router(api_outbound.router)
    app.include_router(api_lifecycle.router)
    app.include_router(api_smpp.router)
    app.include_router(api_messages.router)
    app.include_router(api_messages.metrics_router)

    @app.get(
        "/healthz",
        tags=["ops"],
        response_model=m.HealthOut,
        responses={503: {"model": m.HealthOut, "description": "the database does not answer"}},
    )
    async def healthz() -> JSONResponse:
        """200 when the gateway and its database answer, 503 when the database does not."""
        body = {"status": "ok", "version": __version__, "database": ctx.db.dialect}
        if not await ctx.db.ping():
            return JSONResponse({**body, "status": "database_unavailable"}, 503)
        return JSONResponse(body)

    return app
