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

from sqlalchemy import and_, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import repository as repo
from kodeord.adapters.db.schema import (
    brands,
    keyword_claims,
    keyword_events,
    keyword_leases,
    keyword_quarantine,
    lease_keywords,
)
from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.app.keywords.numbers import find_number
from kodeord.domain.keywords import normalise

LIVE = ("active", "suspended")
HISTORY_LOCK = 0x6B6F6465  # "kode": the advisory lock of keyword_events writers


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has no such day)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def actor_of(principal: Principal) -> str:
    return "admin" if principal.is_admin else f"customer:{principal.customer_id}"


async def lock_history(conn: AsyncConnection) -> None:
    """Make this transaction the only writer of `keyword_events` until it ends, so event
    ids commit in order and the keyword index, which reads events past the last id it
    saw, misses none (PostgreSQL; SQLite has one writer anyway)."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": HISTORY_LOCK})


async def record(
    conn: AsyncConnection,
    lease_id: int,
    action: str,
    actor: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    await lock_history(conn)
    values = {"lease_id": lease_id, "action": action, "actor": actor, "detail": detail, "at": now}
    await conn.execute(insert(keyword_events).values(**values))


# --- leasing and releasing -------------------------------------------------------------


async def quarantined_for(
    conn: AsyncConnection, number: str, folds: list[str], customer_id: int, now: datetime
) -> list[str]:
    """The keywords among `folds` that another customer's quarantine holds."""
    query = select(keyword_quarantine.c.keyword).where(
        keyword_quarantine.c.number == number,
        keyword_quarantine.c.fold.in_(folds),
        keyword_quarantine.c.until > now,
        keyword_quarantine.c.holder_customer_id != customer_id,
    )
    return [str(word) for word in (await conn.execute(query)).scalars()]


async def started(
    conn: AsyncConnection, lease: Any, folds: list[str], actor: str, now: datetime
) -> None:
    """A lease was taken: its first term, its history, and any quarantine of its own."""
    await conn.execute(
        update(keyword_leases)
        .where(keyword_leases.c.id == lease.id)
        .values(term_ends_at=add_months(now, 1), billed_months=1, cancel_at_term_end=False)
    )
    await conn.execute(
        delete(keyword_quarantine).where(
            keyword_quarantine.c.number == lease.number, keyword_quarantine.c.fold.in_(folds)
        )
    )
    await record(conn, lease.id, "leased", actor, now, {"keyword": lease.keyword})


async def end(
    conn: AsyncConnection,
    ctx: Context,
    lease: Any,
    action: str,
    actor: str,
    now: datetime,
    *,
    quarantine: bool = True,
) -> None:
    """End a lease now (released, ended at term, force-released)."""
    keys = (
        await conn.execute(
            select(lease_keywords.c.fold, lease_keywords.c.canonical).where(
                lease_keywords.c.lease_id == lease.id
            )
        )
    ).all()
    await repo.release_lease(conn, lease.id, now)
    if quarantine and ctx.quarantine > timedelta(0):
        until = now + ctx.quarantine
        for fold, canonical in keys:
            await conn.execute(
                delete(keyword_quarantine).where(
                    keyword_quarantine.c.number == lease.number, keyword_quarantine.c.fold == fold
                )
            )
            await conn.execute(
                insert(keyword_quarantine).values(
                    number=lease.number,
                    fold=fold,
                    keyword=canonical,
                    holder_customer_id=lease.customer_id,
                    until=until,
                )
            )
    detail = {"quarantine_until": (now + ctx.quarantine).isoformat()} if quarantine else None
    await record(conn, lease.id, action, actor, now, detail)


# --- terms -----------------------------------------------------------------------------


async def run_terms(ctx: Context) -> dict[str, int]:
    """Renew every term that has ended, or end the lease if it was cancelled."""
    now = ctx.clock()
    renewed = ended = 0
    async with ctx.db.transaction() as conn:
        await _give_terms(conn, now)
        due = (
            await conn.execute(
                select(keyword_leases)
                .where(keyword_leases.c.status.in_(LIVE), keyword_leases.c.term_ends_at <= now)
                .with_for_update(skip_locked=True)  # another node's housekeeping has them
            )
        ).all()
        for lease in due:
            if lease.cancel_at_term_end:
                await end(conn, ctx, lease, "ended", "system", now)
                ctx.routing_changed(lease.number)
                ended += 1
                continue
            # Terms count from the day the lease was taken: 31 Jan → 28 Feb → 31 Mar.
            billed = lease.billed_months
            months = 0
            while add_months(lease.created_at, billed + months) <= now:
                months += 1
            term_end = add_months(lease.created_at, billed + months)
            await conn.execute(
                update(keyword_leases)
                .where(keyword_leases.c.id == lease.id)
                .values(term_ends_at=term_end, billed_months=lease.billed_months + months)
            )
            detail = {"months": months, "term_ends_at": term_end.isoformat()}
            await record(conn, lease.id, "renewed", "system", now, detail)
            renewed += 1
    return {"renewed": renewed, "ended": ended}


async def _view(conn: AsyncConnection, lease_id: int) -> dict[str, Any]:
    row = await repo.get_lease(conn, lease_id)
    assert row is not None
    return dict(row._mapping)


async def _give_terms(conn: AsyncConnection, now: datetime) -> None:
    """Leases taken before terms existed (migration 0005) start their terms now: the
    term running at `now`, counted from the lease date, without billing the past."""
    rows = (
        await conn.execute(
            select(keyword_leases.c.id, keyword_leases.c.created_at).where(
                keyword_leases.c.status.in_(LIVE), keyword_leases.c.term_ends_at.is_(None)
            )
        )
    ).all()
    for lease_id, created_at in rows:
        months = 1
        while add_months(created_at, months) <= now:
            months += 1
        await conn.execute(
            update(keyword_leases)
            .where(keyword_leases.c.id == lease_id)
            .values(term_ends_at=add_months(created_at, months))
        )


async def _lease(conn: AsyncConnection, principal: Principal, lease_id: int) -> Any:
    row = await repo.get_lease(conn, lease_id)
    if row is None or principal.customer_id not in (None, row.customer_id):
        raise NotFound("keyword_not_found", f"no keyword lease {lease_id}")
    return row


def _live(row: Any) -> None:
    if row.status not in LIVE:
        raise Conflict("keyword_released", f"lease {row.id} has ended already")


async def cancel(
    ctx: Context, principal: Principal, lease_id: int, *, undo: bool = False
) -> dict[str, Any]:
    """Cancel at the term's end (or undo that before the term ends)."""
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        row = await _lease(conn, principal, lease_id)
        _live(row)
        await conn.execute(
            update(keyword_leases)
            .where(keyword_leases.c.id == lease_id)
            .values(cancel_at_term_end=not undo)
        )
        detail = {"ends_at": row.term_ends_at.isoformat()} if row.term_ends_at else None
        await record(
            conn, lease_id, "uncancelled" if undo else "cancelled", actor_of(principal), now, detail
        )
        return await _view(conn, lease_id)


async def set_suspended(ctx: Context, lease_id: int, suspended: bool) -> dict[str, Any]:
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        row = await _lease(conn, Principal(None), lease_id)
        _live(row)
        status = "suspended" if suspended else "active"
        await conn.execute(
            update(keyword_leases).where(keyword_leases.c.id == lease_id).values(status=status)
        )
        await record(conn, lease_id, status if suspended else "resumed", "admin", now)
        updated = await _view(conn, lease_id)
    ctx.routing_changed(row.number)
    return updated


async def transfer(
    ctx: Context, lease_id: int, customer_id: int, *, actor: str = "admin", reason: str = ""
) -> dict[str, Any]:
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        row = await _lease(conn, Principal(None), lease_id)
        _live(row)
        await _transfer(conn, row, customer_id, actor, now, reason)
        updated = await _view(conn, lease_id)
    ctx.routing_changed(row.number)
    return updated


async def _transfer(
    conn: AsyncConnection, row: Any, customer_id: int, actor: str, now: datetime, reason: str
) -> None:
    if await repo.get_customer(conn, customer_id) is None:
        raise NotFound("customer_not_found", f"no customer {customer_id}")
    if customer_id == row.customer_id:
        raise Conflict("same_customer", "the keyword is that customer's already")
    number = await repo.get_number(conn, row.number)
    if number is not None and not number.usable_by(customer_id):
        raise Conflict(
            "dedicated_number", f"{row.number} is dedicated; only its owner holds keywords there"
        )
    await conn.execute(
        update(keyword_leases)
        .where(keyword_leases.c.id == row.id)
        .values(customer_id=customer_id, route={"type": "inbox"})
    )
    detail = {"from_customer": row.customer_id, "to_customer": customer_id}
    if reason:
        detail["reason"] = reason
    await record(conn, row.id, "transferred", actor, now, detail)


async def force_release(ctx: Context, lease_id: int) -> dict[str, Any]:
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        row = await _lease(conn, Principal(None), lease_id)
        _live(row)
        await end(conn, ctx, row, "force_released", "admin", now, quarantine=False)
        updated = await _view(conn, lease_id)
    ctx.routing_changed(row.number)
    return updated


async def history(ctx: Context, principal: Principal, lease_id: int) -> list[dict[str, Any]]:
    """The lease's events: all of them for the admin, the holder's own for a customer."""
    async with ctx.db.read() as conn:
        await _lease(conn, principal, lease_id)
        rows = (
            await conn.execute(
                select(keyword_events)
                .where(keyword_events.c.lease_id == lease_id)
                .order_by(keyword_events.c.id)
            )
        ).all()
    events = [{"action": r.action, "actor": r.actor, "detail": r.detail, "at": r.at} for r in rows]
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


# --- brands ----------------------------------------------------------------------------


async def add_brand(ctx: Context, name: str, holder_customer_id: int | None) -> dict[str, Any]:
    keyword = normalise(name)
    if not keyword.canonical or not keyword.alone or len(keyword.canonical) > 16:
        raise Invalid("invalid_brand", "a brand is one word of at most 16 letters or digits")
    async with ctx.db.transaction() as conn:
        if (
            holder_customer_id is not None
            and await repo.get_customer(conn, holder_customer_id) is None
        ):
            raise NotFound("customer_not_found", f"no customer {holder_customer_id}")
        exists = await conn.scalar(select(brands.c.id).where(brands.c.name == keyword.canonical))
        if exists is not None:
            raise Conflict("brand_exists", f"{keyword.canonical} is protected already")
        values = {
            "name": keyword.canonical,
            "holder_customer_id": holder_customer_id,
            "created_at": ctx.clock(),
        }
        row = (await conn.execute(insert(brands).values(**values).returning(*brands.c))).one()
    ctx.routing_changed(None)
    ctx.keyword_index.brands_changed()
    return dict(row._mapping)


async def list_brands(ctx: Context) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(brands).order_by(brands.c.name))).all()
    return [dict(row._mapping) for row in rows]


async def delete_brand(ctx: Context, brand_id: int) -> None:
    async with ctx.db.transaction() as conn:
        result = await conn.execute(delete(brands).where(brands.c.id == brand_id))
        if result.rowcount == 0:
            raise NotFound("brand_not_found", f"no brand {brand_id}")
    ctx.routing_changed(None)
    ctx.keyword_index.brands_changed()


# --- claims ----------------------------------------------------------------------------


def claim_view(row: Any, principal: Principal) -> dict[str, Any]:
    view = {
        "id": row.id,
        "number": row.number,
        "keyword": row.keyword,
        "reason": row.reason,
        "status": row.status,
        "note": row.note,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
    }
    if principal.is_admin:
        view |= {"lease_id": row.lease_id, "claimant_customer_id": row.claimant_customer_id}
    return view


async def file_claim(
    ctx: Context, principal: Principal, number: str, keyword: str, reason: str
) -> dict[str, Any]:
    if principal.customer_id is None:
        raise Invalid("customer_only", "claims are filed by customers; use a customer key")
    if not reason.strip():
        raise Invalid("reason_required", "say why the keyword should be yours", field="reason")
    wanted = normalise(keyword)
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        found = await find_number(conn, number)
        lease_id = await conn.scalar(
            select(lease_keywords.c.lease_id).where(
                lease_keywords.c.number == found.number, lease_keywords.c.fold == wanted.fold
            )
        )
        if lease_id is None:
            raise NotFound("keyword_not_leased", f"nobody holds {wanted.canonical} on {number}")
        lease: Any = await repo.get_lease(conn, lease_id)
        if lease.customer_id == principal.customer_id:
            raise Conflict("own_keyword", "the keyword is yours already")
        open_claim = await conn.scalar(
            select(keyword_claims.c.id).where(
                and_(
                    keyword_claims.c.lease_id == lease_id,
                    keyword_claims.c.claimant_customer_id == principal.customer_id,
                    keyword_claims.c.status == "open",
                )
            )
        )
        if open_claim is not None:
            raise Conflict("claim_open", f"your claim {open_claim} on it is still open")
        values = {
            "number": found.number,
            "keyword": lease.keyword,
            "lease_id": lease_id,
            "claimant_customer_id": principal.customer_id,
            "reason": reason.strip()[:1000],
            "status": "open",
            "created_at": now,
        }
        row = (
            await conn.execute(insert(keyword_claims).values(**values).returning(*keyword_claims.c))
        ).one()
        await record(conn, lease_id, "claim_filed", "system", now, {"claim": row.id})
    return claim_view(row, principal)


async def list_claims(ctx: Context, principal: Principal) -> list[dict[str, Any]]:
    query = select(keyword_claims).order_by(keyword_claims.c.id.desc())
    if not principal.is_admin:
        query = query.where(keyword_claims.c.claimant_customer_id == principal.customer_id)
    async with ctx.db.read() as conn:
        rows = (await conn.execute(query)).all()
    return [claim_view(row, principal) for row in rows]


async def decide_claim(
    ctx: Context, claim_id: int, decision: str, note: str | None
) -> dict[str, Any]:
    """The provider's decision: `transfer` the keyword to the claimant, or `reject`."""
    now = ctx.clock()
    async with ctx.db.transaction() as conn:
        claim = (
            await conn.execute(select(keyword_claims).where(keyword_claims.c.id == claim_id))
        ).one_or_none()
        if claim is None:
            raise NotFound("claim_not_found", f"no claim {claim_id}")
        if claim.status != "open":
            raise Conflict("claim_decided", f"claim {claim_id} was {claim.status} already")
        lease: Any = await repo.get_lease(conn, claim.lease_id)
        status = "transferred" if decision == "transfer" else "rejected"
        if status == "transferred":
            _live(lease)
            await _transfer(
                conn, lease, claim.claimant_customer_id, "admin", now, f"claim {claim_id}"
            )
        else:
            await record(conn, lease.id, "claim_rejected", "admin", now, {"claim": claim_id})
        await conn.execute(
            update(keyword_claims)
            .where(keyword_claims.c.id == claim_id)
            .values(status=status, note=note, decided_at=now)
        )
        row = (
            await conn.execute(select(keyword_claims).where(keyword_claims.c.id == claim_id))
        ).one()
    ctx.routing_changed(lease.number)
    return claim_view(row, Principal(None))
