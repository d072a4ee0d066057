"""Keyword leasing use cases: availability, lease, list, release, route.

The rules are in `domain.leasing`; this module gathers the facts for them, stores the
outcome in one transaction, and turns refusals into errors with reason codes. The
unique (number, fold) constraint in the database settles races between two customers
who check and lease the same keyword at once: the loser gets `taken`.

A webhook route is signed with the holder's signing secret. Set before the customer has
one, the route is taken (a client may create the secret next) and the answer carries a
warning `no_signing_secret` naming `POST /v1/signing-secret`; deliveries meanwhile fail
and are retried until the secret exists (docs/keywords.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.keywords import lifecycle
from kodeord.app.keywords.index import index_of
from kodeord.app.keywords.lifecycle import actor_of, lease_view, lease_view_of, visible_lease
from kodeord.app.keywords.numbers import find_number
from kodeord.app.keywords.ports import KeywordsTx
from kodeord.app.keywords.records import KeywordTaken, LeaseAction, LeaseKey, LeaseStatus, NewLease
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
from kodeord.domain.routes import DEFAULT_ROUTE, Route, RouteProblem, WebhookRoute, parse_route

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


async def _check(
    ctx: Context[KeywordsTx],
    tx: KeywordsTx,
    number: ShortNumber,
    customer_id: int,
    keyword: str,
    aliases: Sequence[str],
    now: datetime,
) -> Availability:
    words = [normalise(w) for w in (keyword, *aliases)]
    folds = [w.fold for w in words]
    reserved = ReservedWords(row.word for row in await tx.reserved_words.all())
    index = index_of(ctx.storage)
    await index.refresh(tx)
    # `taken` is asked of the database itself, whatever the index saw last
    found = await tx.leases.holders(number.number, folds)
    holders: dict[str, int | None] = {fold: found.get(fold) for fold in folds}
    keywords = index.lookup(number.number, holders)
    result = check(keyword, number, customer_id, keywords, index.brands, reserved, aliases)
    held = await tx.quarantine.held_for_others(number.number, folds, customer_id, now)
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
    ctx: Context[KeywordsTx],
    principal: Principal,
    number: str,
    keyword: str,
    customer_id: int | None = None,
) -> dict[str, Any]:
    acting_for = _require_customer(principal, customer_id)
    async with ctx.storage.read() as tx:
        found = await find_number(tx.numbers, number)
        return availability_view(await _check(ctx, tx, found, acting_for, keyword, (), ctx.clock()))


def _refusal(result: Availability) -> Exception:
    view = availability_view(result)
    codes = {r.code for r in result.reasons}
    if codes & {ReasonCode.INVALID, ReasonCode.DUPLICATE}:
        return Invalid(
            "invalid_keyword", "the keyword cannot be registered", reasons=view["reasons"]
        )
    return Conflict("keyword_unavailable", "the keyword is not available", reasons=view["reasons"])


async def lease(
    ctx: Context[KeywordsTx],
    principal: Principal,
    number: str,
    keyword: str,
    aliases: Sequence[str] = (),
    customer_id: int | None = None,
) -> dict[str, Any]:
    acting_for = _require_customer(principal, customer_id)
    if len(aliases) > MAX_ALIASES:
        raise Invalid("too_many_aliases", f"a lease has at most {MAX_ALIASES} aliases")
    async with ctx.storage.transaction() as tx:
        if principal.is_admin and await tx.customers.get(acting_for) is None:
            raise NotFound("customer_not_found", f"no customer {acting_for}")
        found = await find_number(tx.numbers, number)
        now = ctx.clock()
        result = await _check(ctx, tx, found, acting_for, keyword, aliases, now)
        if not result.available:
            raise _refusal(result)
        keys = tuple(
            LeaseKey(w.fold, w.canonical) for w in (normalise(k) for k in (keyword, *aliases))
        )
        new = NewLease(found.number, acting_for, keys, result.monthly_fee_ore, DEFAULT_ROUTE, now)
        try:
            lease_id = await tx.leases.add(new)
        except KeywordTaken:
            raise Conflict(
                "keyword_unavailable",
                "the keyword was taken a moment ago",
                reasons=[
                    {
                        "code": ReasonCode.TAKEN.value,
                        "message": "taken meanwhile",
                        "keyword": keys[0].canonical,
                    }
                ],
            ) from None
        await lifecycle.started(tx, lease_id, new, actor_of(principal))
        view = await lease_view_of(tx, lease_id)
    ctx.routing_changed(found.number)
    return view


async def get_lease(
    ctx: Context[KeywordsTx], principal: Principal, lease_id: int
) -> dict[str, Any]:
    async with ctx.storage.read() as tx:
        return lease_view(await visible_lease(tx, principal, lease_id))


async def list_leases(
    ctx: Context[KeywordsTx], principal: Principal, include_released: bool = False
) -> list[dict[str, Any]]:
    async with ctx.storage.read() as tx:
        leases = await tx.leases.all(principal.customer_id, include_released)
    return [lease_view(lease) for lease in leases]


async def release(ctx: Context[KeywordsTx], principal: Principal, lease_id: int) -> dict[str, Any]:
    async with ctx.storage.transaction() as tx:
        found = await visible_lease(tx, principal, lease_id)
        if not found.live:
            raise Conflict("keyword_released", f"lease {lease_id} has ended already")
        if found.status is LeaseStatus.SUSPENDED and not principal.is_admin:
            # released, its quarantine would let the holder take it back unsuspended
            raise Conflict("keyword_suspended", "a suspended keyword ends only by the provider")
        await lifecycle.end(ctx, tx, found, LeaseAction.RELEASED, actor_of(principal), ctx.clock())
        view = await lease_view_of(tx, lease_id)
    ctx.routing_changed(found.number)
    return view


def _parsed(route: dict[str, Any]) -> Route:
    parsed = parse_route(route)
    if isinstance(parsed, RouteProblem):
        message = f"{parsed.field}: {parsed.message}"
        raise Invalid("invalid_route", message, field=parsed.field)
    return parsed


NO_SIGNING_SECRET = {
    "code": "no_signing_secret",
    "message": "webhooks are signed with the customer's signing secret and it has none yet: "
    "create it with POST /v1/signing-secret; until then deliveries fail and are retried",
}


async def set_route(
    ctx: Context[KeywordsTx], principal: Principal, lease_id: int, route: dict[str, Any]
) -> dict[str, Any]:
    """Set the lease's route; the lease, with `warnings` about what will not work yet."""
    parsed = _parsed(route)
    if isinstance(parsed, WebhookRoute):
        async with ctx.storage.read() as tx:
            await visible_lease(tx, principal, lease_id)  # another's lease: 404, not a probe
        await check_url(ctx, parsed.url, field="url", shape_code="invalid_route")
    async with ctx.storage.transaction() as tx:
        found = await visible_lease(tx, principal, lease_id)
        if found.status is not LeaseStatus.ACTIVE:
            raise Conflict("keyword_released", f"lease {lease_id} has ended")
        await tx.leases.set_route(lease_id, parsed)
        view = await lease_view_of(tx, lease_id)
        unsigned = isinstance(parsed, WebhookRoute) and not (
            await tx.routing_facts.signing_secrets([found.customer_id])
        )
    ctx.routing_changed(found.number)
    return view | {"warnings": [dict(NO_SIGNING_SECRET)] if unsigned else []}


# --- reserved words (provider) ------------------------------------------------------


async def list_reserved(ctx: Context[KeywordsTx]) -> list[dict[str, Any]]:
    async with ctx.storage.read() as tx:
        rows = await tx.reserved_words.all()
    builtin = [{"word": w, "builtin": True, "created_at": None} for w in sorted(BUILTIN_RESERVED)]
    own = [{"word": r.word, "builtin": False, "created_at": r.created_at} for r in rows]
    return builtin + own


def _reserved_word(word: str) -> str:
    keyword = normalise(word)
    if not keyword.canonical or not keyword.alone or len(keyword.canonical) > 16:
        raise Invalid("invalid_keyword", "a reserved word is one word of at most 16 characters")
    return keyword.canonical


async def add_reserved(ctx: Context[KeywordsTx], word: str) -> dict[str, Any]:
    canonical = _reserved_word(word)
    if canonical in BUILTIN_RESERVED:
        raise Conflict("reserved_word_exists", f"{canonical} is reserved already (built in)")
    now = ctx.clock()
    async with ctx.storage.transaction() as tx:
        if not await tx.reserved_words.add(canonical, now):
            raise Conflict("reserved_word_exists", f"{canonical} is reserved already")
    return {"word": canonical, "builtin": False, "created_at": now}


async def remove_reserved(ctx: Context[KeywordsTx], word: str) -> None:
    canonical = _reserved_word(word)
    if canonical in BUILTIN_RESERVED:
        raise Conflict("builtin_reserved_word", f"{canonical} is built in and stays reserved")
    async with ctx.storage.transaction() as tx:
        if not await tx.reserved_words.remove(canonical):
            raise NotFound("reserved_word_not_found", f"{canonical} is not on the list")
