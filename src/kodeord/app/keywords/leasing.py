"""Keyword leasing use cases: availability, lease, list, release, route.

The rules are in `domain.leasing`; this module gathers the facts for them, stores the
outcome in one transaction, and turns refusals into errors with reason codes. The
unique (number, fold) constraint in the database settles races between two customers
who check and lease the same keyword at once: the loser gets `taken`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import repository as repo
from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.keywords import lifecycle
from kodeord.app.keywords.lifecycle import actor_of
from kodeord.app.keywords.numbers import find_number
from kodeord.app.targets import check_url
from kodeord.domain.availability import check
from kodeord.domain.keywords import BUILTIN_RESERVED, normalise
from kodeord.domain.leasing import (
    Availability,
    Reason,
    ReasonCode,
    ReservedWords,
)
from kodeord.domain.numbers import ShortNumber
from kodeord.domain.routes import DEFAULT_ROUTE, RouteProblem, WebhookRoute, parse_route

MAX_ALIASES = 10


def availability_view(availability: Availability) -> dict[str, Any]:
    return {
        "available": availability.available,
        "keyword": availability.keyword,
        "reasons": [
            {"code": r.code.value, "message": r.message, "keyword": r.keyword, "near": r.near}
            for r in availability.reasons
        ],
        "warnings": [
            {
                "code": w.code.value,
                "message": w.message,
                "keyword": w.keyword,
                "near": w.near,
                "distance": w.distance,
            }
            for w in availability.warnings
        ],
        "suggestions": list(availability.suggestions),
        "monthly_fee_ore": availability.monthly_fee_ore,
    }


def lease_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "customer_id": row.customer_id,
        "keyword": row.keyword,
        "aliases": list(row.aliases),
        "status": row.status,
        "route": row.route,
        "monthly_fee_ore": row.monthly_fee_ore,
        "created_at": row.created_at,
        "released_at": row.released_at,
        "term_ends_at": row.term_ends_at,
        "cancel_at_term_end": row.cancel_at_term_end,
        "billed_months": row.billed_months,
    }


async def _check(
    ctx: Context,
    conn: AsyncConnection,
    number: ShortNumber,
    customer_id: int,
    keyword: str,
    aliases: Sequence[str],
    now: datetime,
) -> Availability:
    words = [normalise(w) for w in (keyword, *aliases)]
    folds = [w.fold for w in words]
    reserved = ReservedWords(row.word for row in await repo.list_reserved_words(conn))
    index = ctx.keyword_index
    await index.refresh(conn)
    # `taken` is asked of the database itself, whatever the index saw last
    found = await repo.holders_by_fold(conn, number.number, folds)
    holders: dict[str, int | None] = {fold: found.get(fold) for fold in folds}
    keywords = index.lookup(number.number, holders)
    result = check(keyword, number, customer_id, keywords, index.brands, reserved, aliases)
    held = await lifecycle.quarantined_for(conn, number.number, folds, customer_id, now)
    if not held:
        return result
    extra = tuple(
        Reason(
            ReasonCode.QUARANTINED,
            f"'{word}' was released lately; only its last holder may take it back for now",
            word,
        )
        for word in held
    )
    return replace(result, reasons=result.reasons + extra)


def _require_customer(principal: Principal, customer_id: int | None) -> int:
    """The customer a call acts for: the caller, or the one an admin names."""
    if principal.customer_id is not None:
        return principal.customer_id
    if customer_id is None:
        raise Invalid("customer_required", "an admin must say which customer (customer_id)")
    return customer_id


async def availability(
    ctx: Context, principal: Principal, number: str, keyword: str, customer_id: int | None = None
) -> dict[str, Any]:
    acting_for = _require_customer(principal, customer_id)
    async with ctx.db.read() as conn:
        found = await find_number(conn, number)
        return availability_view(
            await _check(ctx, conn, found, acting_for, keyword, (), ctx.clock())
        )


def _refusal(result: Availability) -> Exception:
    view = availability_view(result)
    codes = {r.code for r in result.reasons}
    if codes & {ReasonCode.INVALID, ReasonCode.DUPLICATE}:
        return Invalid(
            "invalid_keyword", "the keyword cannot be registered", reasons=view["reasons"]
        )
    return Conflict("keyword_unavailable", "the keyword is not available", reasons=view["reasons"])


async def lease(
    ctx: Context,
    principal: Principal,
    number: str,
    keyword: str,
    aliases: Sequence[str] = (),
    customer_id: int | None = None,
) -> dict[str, Any]:
    acting_for = _require_customer(principal, customer_id)
    if len(aliases) > MAX_ALIASES:
        raise Invalid("too_many_aliases", f"a lease has at most {MAX_ALIASES} aliases")
    async with ctx.db.transaction() as conn:
        if principal.is_admin and await repo.get_customer(conn, acting_for) is None:
            raise NotFound("customer_not_found", f"no customer {acting_for}")
        found = await find_number(conn, number)
        now = ctx.clock()
        result = await _check(ctx, conn, found, acting_for, keyword, aliases, now)
        if not result.available:
            raise _refusal(result)
        keys = [(w.canonical, w.fold) for w in (normalise(k) for k in (keyword, *aliases))]
        try:
            row = await repo.insert_lease(
                conn,
                number=found.number,
                customer_id=acting_for,
                keywords=keys,
                monthly_fee_ore=result.monthly_fee_ore,
                route=DEFAULT_ROUTE.to_json(),
                now=now,
            )
            await lifecycle.started(conn, row, [f for _, f in keys], actor_of(principal), now)
            fresh = await repo.get_lease(conn, row.id)
            assert fresh is not None
            row = fresh
        except repo.KeywordConflict:
            raise Conflict(
                "keyword_unavailable",
                "the keyword was taken a moment ago",
                reasons=[{"code": "taken", "message": "taken meanwhile", "keyword": keys[0][0]}],
            ) from None
    ctx.routing_changed(found.number)
    return lease_view(row)


async def _own_lease(conn: AsyncConnection, principal: Principal, lease_id: int) -> Any:
    """The lease if the caller may see it; another customer's lease is simply not found."""
    row = await repo.get_lease(conn, lease_id)
    if row is None or (principal.customer_id not in (None, row.customer_id)):
        raise NotFound("keyword_not_found", f"no keyword lease {lease_id}")
    return row


async def get_lease(ctx: Context, principal: Principal, lease_id: int) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        return lease_view(await _own_lease(conn, principal, lease_id))


async def list_leases(
    ctx: Context, principal: Principal, include_released: bool = False
) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        rows = await repo.list_leases(conn, principal.customer_id, include_released)
    return [lease_view(row) for row in rows]


async def release(ctx: Context, principal: Principal, lease_id: int) -> dict[str, Any]:
    async with ctx.db.transaction() as conn:
        row = await _own_lease(conn, principal, lease_id)
        if row.status not in lifecycle.LIVE:
            raise Conflict("keyword_released", f"lease {lease_id} has ended already")
        if row.status == "suspended" and not principal.is_admin:
            # released, its quarantine would let the holder take it back unsuspended
            raise Conflict("keyword_suspended", "a suspended keyword ends only by the provider")
        await lifecycle.end(conn, ctx, row, "released", actor_of(principal), ctx.clock())
        released = await repo.get_lease(conn, lease_id)
    ctx.routing_changed(row.number)
    return lease_view(released)


async def set_route(
    ctx: Context, principal: Principal, lease_id: int, route: dict[str, Any]
) -> dict[str, Any]:
    parsed = parse_route(route)
    if isinstance(parsed, RouteProblem):
        message = f"{parsed.field}: {parsed.message}"
        raise Invalid("invalid_route", message, field=parsed.field)
    if isinstance(parsed, WebhookRoute):
        async with ctx.db.read() as conn:
            await _own_lease(conn, principal, lease_id)  # another's lease: 404, not a probe
        await check_url(ctx, parsed.url, field="url", shape_code="invalid_route")
    async with ctx.db.transaction() as conn:
        row = await _own_lease(conn, principal, lease_id)
        if row.status != "active":
            raise Conflict("keyword_released", f"lease {lease_id} has ended")
        await repo.set_route(conn, lease_id, parsed.to_json())
        updated = await repo.get_lease(conn, lease_id)
    ctx.routing_changed(row.number)
    return lease_view(updated)


# --- reserved words (provider) ------------------------------------------------------


async def list_reserved(ctx: Context) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        rows = await repo.list_reserved_words(conn)
    builtin = [{"word": w, "builtin": True, "created_at": None} for w in sorted(BUILTIN_RESERVED)]
    own = [{"word": r.word, "builtin": False, "created_at": r.created_at} for r in rows]
    return builtin + own


def _reserved_word(word: str) -> str:
    keyword = normalise(word)
    if not keyword.canonical or not keyword.alone or len(keyword.canonical) > 16:
        raise Invalid("invalid_keyword", "a reserved word is one word of at most 16 characters")
    return keyword.canonical


async def add_reserved(ctx: Context, word: str) -> dict[str, Any]:
    canonical = _reserved_word(word)
    if canonical in BUILTIN_RESERVED:
        raise Conflict("reserved_word_exists", f"{canonical} is reserved already (built in)")
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        if not await repo.insert_reserved_word(conn, canonical, now):
            raise Conflict("reserved_word_exists", f"{canonical} is reserved already")
    return {"word": canonical, "builtin": False, "created_at": now}


async def remove_reserved(ctx: Context, word: str) -> None:
    canonical = _reserved_word(word)
    if canonical in BUILTIN_RESERVED:
        raise Conflict("builtin_reserved_word", f"{canonical} is built in and stays reserved")
    async with ctx.db.transaction() as conn:
        if not await repo.delete_reserved_word(conn, canonical):
            raise NotFound("reserved_word_not_found", f"{canonical} is not on the list")
