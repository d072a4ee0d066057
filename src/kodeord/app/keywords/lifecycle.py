"""The life of a keyword lease, like a domain name's: terms, renewal, cancellation,
quarantine, suspension, transfer, forced release, claims — each recorded in the lease's
history.

- A lease runs in monthly terms from the day it was taken (a term ending on the 31st
  ends on the last day of shorter months) and is billed per started month
  (`billed_months`). `run_terms(now)` (housekeeping, and tests with their own clock)
  renews every term that ended — several at once if the gateway was down — unless the
  lease was cancelled, which ends it at its term's end.
- A keyword that was released stays in quarantine for `ctx.quarantine` (default 30
  days, `KODEORD_QUARANTINE_DAYS`): only its last holder may lease it again meanwhile.
  A release forced by the provider puts no quarantine on it (the provider acts for the
  next holder, e.g. after abuse or a claim).
- The provider suspends (messages go to the operator inbox, the term runs on), resumes,
  transfers to another customer and force-releases. Customers cancel (and may undo it
  before the term ends) or release at once.
- Claims: a customer claims a keyword another customer holds; the provider transfers it
  or rejects the claim. Both are recorded on the claim and in the lease's history.
- The provider sees a lease's whole history; its holder only the events of its own
  holding (`holding_history`: since the last transfer to it), naming no earlier holder.
Times come from `ctx.clock`.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.keywords.brands import add_brand, delete_brand, list_brands
from kodeord.app.keywords.numbers import find_number
from kodeord.app.keywords.ports import KeywordsTx
from kodeord.app.keywords.records import (
    Claim,
    ClaimDecision,
    ClaimStatus,
    JsonDetail,
    Lease,
    LeaseAction,
    LeaseStatus,
    NewEvent,
    NewLease,
)
from kodeord.domain.keywords import normalise
from kodeord.domain.routes import DEFAULT_ROUTE

# the brands are part of the lifecycle API (web/api/lifecycle.py calls them here)
__all__ = ["add_brand", "delete_brand", "list_brands"]

SYSTEM = "system"
ADMIN = "admin"


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has no such day)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def actor_of(principal: Principal) -> str:
    return ADMIN if principal.is_admin else f"customer:{principal.customer_id}"


def lease_view(lease: Lease) -> dict[str, Any]:
    return {
        "id": lease.id,
        "number": lease.number,
        "customer_id": lease.customer_id,
        "keyword": lease.keyword,
        "aliases": list(lease.aliases),
        "status": lease.status.value,
        "route": lease.route.to_json(),
        "monthly_fee_ore": lease.monthly_fee_ore,
        "created_at": lease.created_at,
        "released_at": lease.released_at,
        "term_ends_at": lease.term_ends_at,
        "cancel_at_term_end": lease.cancel_at_term_end,
        "billed_months": lease.billed_months,
    }


async def record(
    tx: KeywordsTx,
    lease_id: int,
    action: LeaseAction,
    actor: str,
    now: datetime,
    detail: JsonDetail | None = None,
) -> None:
    await tx.lease_history.record([NewEvent(lease_id, action, actor, now, detail)])


async def lease_view_of(tx: KeywordsTx, lease_id: int) -> dict[str, Any]:
    """The lease as it is now in this unit of work (it exists: the caller found it)."""
    found = await tx.leases.get(lease_id)
    assert found is not None
    return lease_view(found)


# --- leasing and releasing -------------------------------------------------------------


async def started(tx: KeywordsTx, lease_id: int, lease: NewLease, actor: str) -> None:
    """A lease was taken: its first term, its history, and any quarantine of its own."""
    now = lease.created_at
    await tx.leases.start_term(lease_id, add_months(now, 1))
    await tx.quarantine.lift(lease.number, [key.fold for key in lease.keys])
    detail = {"keyword": lease.keys[0].canonical}
    await record(tx, lease_id, LeaseAction.LEASED, actor, now, detail)


async def end(
    ctx: Context[KeywordsTx],
    tx: KeywordsTx,
    lease: Lease,
    action: LeaseAction,
    actor: str,
    now: datetime,
    *,
    quarantine: bool = True,
) -> None:
    """End a lease now (released, ended at term, force-released)."""
    keys = await tx.leases.keys(lease.id)
    await tx.leases.release(lease.id, now)
    if quarantine and ctx.quarantine > timedelta(0):
        until = now + ctx.quarantine
        for key in keys:
            await tx.quarantine.put(lease.number, key, lease.customer_id, until)
    detail = {"quarantine_until": (now + ctx.quarantine).isoformat()} if quarantine else None
    await record(tx, lease.id, action, actor, now, detail)


# --- terms -----------------------------------------------------------------------------


async def run_terms(ctx: Context[KeywordsTx]) -> dict[str, int]:
    """Renew every term that has ended, or end the lease if it was cancelled."""
    now = ctx.clock()
    renewed = ended = 0
    ended_on: list[str] = []
    async with ctx.storage.transaction() as tx:
        await _give_terms(tx, now)
        for lease in await tx.leases.due(now):
            if lease.cancel_at_term_end:
                await end(ctx, tx, lease, LeaseAction.ENDED, SYSTEM, now)
                ended_on.append(lease.number)
                ended += 1
                continue
            await _renew(tx, lease, now)
            renewed += 1
    for number in ended_on:
        ctx.routing_changed(number)
    return {"renewed": renewed, "ended": ended}


async def _renew(tx: KeywordsTx, lease: Lease, now: datetime) -> None:
    # Terms count from the day the lease was taken: 31 Jan → 28 Feb → 31 Mar.
    billed = lease.billed_months
    months = 0
    while add_months(lease.created_at, billed + months) <= now:
        months += 1
    term_end = add_months(lease.created_at, billed + months)
    await tx.leases.set_term(lease.id, term_end, billed + months)
    detail = {"months": months, "term_ends_at": term_end.isoformat()}
    await record(tx, lease.id, LeaseAction.RENEWED, SYSTEM, now, detail)


async def _give_terms(tx: KeywordsTx, now: datetime) -> None:
    """Leases taken before terms existed (migration 0005) start their terms now: the
    term running at `now`, counted from the lease date, without billing the past."""
    for lease_id, created_at in await tx.leases.without_term():
        months = 1
        while add_months(created_at, months) <= now:
            months += 1
        await tx.leases.set_term(lease_id, add_months(created_at, months))


async def visible_lease(tx: KeywordsTx, principal: Principal, lease_id: int) -> Lease:
    """The lease if the caller may see it; another customer's lease is simply not found."""
    found = await tx.leases.get(lease_id)
    if found is None or principal.customer_id not in (None, found.customer_id):
        raise NotFound("keyword_not_found", f"no keyword lease {lease_id}")
    return found


def require_live(lease: Lease) -> None:
    if not lease.live:
        raise Conflict("keyword_released", f"lease {lease.id} has ended already")


async def cancel(
    ctx: Context[KeywordsTx], principal: Principal, lease_id: int, *, undo: bool = False
) -> dict[str, Any]:
    """Cancel at the term's end (or undo that before the term ends)."""
    now = ctx.clock()
    async with ctx.storage.transaction() as tx:
        lease = await visible_lease(tx, principal, lease_id)
        require_live(lease)
        await tx.leases.set_cancelled(lease_id, not undo)
        detail = {"ends_at": lease.term_ends_at.isoformat()} if lease.term_ends_at else None
        action = LeaseAction.UNCANCELLED if undo else LeaseAction.CANCELLED
        await record(tx, lease_id, action, actor_of(principal), now, detail)
        return await lease_view_of(tx, lease_id)


async def set_suspended(ctx: Context[KeywordsTx], lease_id: int, suspended: bool) -> dict[str, Any]:
    now = ctx.clock()
    async with ctx.storage.transaction() as tx:
        lease = await visible_lease(tx, Principal(None), lease_id)
        require_live(lease)
        status = LeaseStatus.SUSPENDED if suspended else LeaseStatus.ACTIVE
        await tx.leases.set_status(lease_id, status)
        action = LeaseAction.SUSPENDED if suspended else LeaseAction.RESUMED
        await record(tx, lease_id, action, ADMIN, now)
        updated = await lease_view_of(tx, lease_id)
    ctx.routing_changed(lease.number)
    return updated


async def transfer(
    ctx: Context[KeywordsTx],
    lease_id: int,
    customer_id: int,
    *,
    actor: str = ADMIN,
    reason: str = "",
) -> dict[str, Any]:
    now = ctx.clock()
    async with ctx.storage.transaction() as tx:
        lease = await visible_lease(tx, Principal(None), lease_id)
        require_live(lease)
        await _transfer(tx, lease, customer_id, actor, now, reason)
        updated = await lease_view_of(tx, lease_id)
    ctx.routing_changed(lease.number)
    return updated


async def _transfer(
    tx: KeywordsTx, lease: Lease, customer_id: int, actor: str, now: datetime, reason: str
) -> None:
    if await tx.customers.get(customer_id) is None:
        raise NotFound("customer_not_found", f"no customer {customer_id}")
    if customer_id == lease.customer_id:
        raise Conflict("same_customer", "the keyword is that customer's already")
    number = await tx.numbers.get(lease.number)
    if number is not None and not number.usable_by(customer_id):
        raise Conflict(
            "dedicated_number", f"{lease.number} is dedicated; only its owner holds keywords there"
        )
    # the new holder's messages go to its inbox until it sets a route of its own
    await tx.leases.set_holder(lease.id, customer_id, DEFAULT_ROUTE)
    detail: JsonDetail = {"from_customer": lease.customer_id, "to_customer": customer_id}
    if reason:
        detail["reason"] = reason
    await record(tx, lease.id, LeaseAction.TRANSFERRED, actor, now, detail)


async def force_release(ctx: Context[KeywordsTx], lease_id: int) -> dict[str, Any]:
    now = ctx.clock()
    async with ctx.storage.transaction() as tx:
        lease = await visible_lease(tx, Principal(None), lease_id)
        require_live(lease)
        await end(ctx, tx, lease, LeaseAction.FORCE_RELEASED, ADMIN, now, quarantine=False)
        updated = await lease_view_of(tx, lease_id)
    ctx.routing_changed(lease.number)
    return updated


async def history(
    ctx: Context[KeywordsTx], principal: Principal, lease_id: int
) -> list[dict[str, Any]]:
    """The lease's events: all of them for the admin, the holder's own for a customer."""
    async with ctx.storage.read() as tx:
        await visible_lease(tx, principal, lease_id)
        found = await tx.lease_history.of_lease(lease_id)
    events = [{"action": e.action, "actor": e.actor, "detail": e.detail, "at": e.at} for e in found]
    if principal.customer_id is None:
        return events
    return holding_history(events, principal.customer_id)


def holding_history(events: list[dict[str, Any]], customer_id: int) -> list[dict[str, Any]]:
    """What the holder sees: the events since its holding began (the last transfer to it,
    else the lease's start). The transfer that began it shows only `to_customer`, so no
    event names an earlier holder (or the provider's reason, which might)."""
    start = 0
    for index, event in enumerate(events):
        if _transferred_to(event) == customer_id:
            start = index
    own = events[start:]
    if own and _transferred_to(own[0]) == customer_id:
        own[0] = {**own[0], "detail": {"to_customer": customer_id}}
    return own


def _transferred_to(event: dict[str, Any]) -> int | None:
    if event["action"] != "transferred":
        return None
    found: int | None = (event["detail"] or {}).get("to_customer")
    return found


# --- claims ----------------------------------------------------------------------------


def claim_view(claim: Claim, principal: Principal) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": claim.id,
        "number": claim.number,
        "keyword": claim.keyword,
        "reason": claim.reason,
        "status": claim.status.value,
        "note": claim.note,
        "created_at": claim.created_at,
        "decided_at": claim.decided_at,
    }
    if principal.is_admin:
        view |= {"lease_id": claim.lease_id, "claimant_customer_id": claim.claimant_customer_id}
    return view


async def file_claim(
    ctx: Context[KeywordsTx], principal: Principal, number: str, keyword: str, reason: str
) -> dict[str, Any]:
    if principal.customer_id is None:
        raise Invalid("customer_only", "claims are filed by customers; use a customer key")
    if not reason.strip():
        raise Invalid("reason_required", "say why the keyword should be yours", field="reason")
    wanted = normalise(keyword)
    now = ctx.clock()
    async with ctx.storage.transaction() as tx:
        found = await find_number(tx.numbers, number)
        lease_id = await tx.leases.lease_holding(found.number, wanted.fold)
        lease = None if lease_id is None else await tx.leases.get(lease_id)
        if lease is None:
            raise NotFound("keyword_not_leased", f"nobody holds {wanted.canonical} on {number}")
        if lease.customer_id == principal.customer_id:
            raise Conflict("own_keyword", "the keyword is yours already")
        open_claim = await tx.claims.open_claim(lease.id, principal.customer_id)
        if open_claim is not None:
            raise Conflict("claim_open", f"your claim {open_claim} on it is still open")
        claim = await tx.claims.add(
            found.number, lease.keyword, lease.id, principal.customer_id, reason.strip()[:1000], now
        )
        await record(tx, lease.id, LeaseAction.CLAIM_FILED, SYSTEM, now, {"claim": claim.id})
    return claim_view(claim, principal)


async def list_claims(ctx: Context[KeywordsTx], principal: Principal) -> list[dict[str, Any]]:
    claimant = None if principal.is_admin else principal.customer_id
    async with ctx.storage.read() as tx:
        claims = await tx.claims.all(claimant)
    return [claim_view(claim, principal) for claim in claims]


async def decide_claim(
    ctx: Context[KeywordsTx], claim_id: int, decision: str, note: str | None
) -> dict[str, Any]:
    """The provider's decision (a ClaimDecision): `transfer` the keyword to the
    claimant, or `reject`."""
    now = ctx.clock()
    async with ctx.storage.transaction() as tx:
        claim = await tx.claims.get(claim_id)
        if claim is None:
            raise NotFound("claim_not_found", f"no claim {claim_id}")
        if claim.status is not ClaimStatus.OPEN:
            raise Conflict("claim_decided", f"claim {claim_id} was {claim.status} already")
        lease = await tx.leases.get(claim.lease_id)
        assert lease is not None  # a claim's lease row stays as history
        status = (
            ClaimStatus.TRANSFERRED if decision == ClaimDecision.TRANSFER else ClaimStatus.REJECTED
        )
        if status is ClaimStatus.TRANSFERRED:
            require_live(lease)
            reason = f"claim {claim_id}"
            await _transfer(tx, lease, claim.claimant_customer_id, ADMIN, now, reason)
        else:
            detail = {"claim": claim_id}
            await record(tx, lease.id, LeaseAction.CLAIM_REJECTED, ADMIN, now, detail)
        await tx.claims.decide(claim_id, status, note, now)
        decided = await tx.claims.get(claim_id)
        assert decided is not None
    ctx.routing_changed(lease.number)
    return claim_view(decided, Principal(None))
