"""Use cases around messages: read them back, signing secrets, settings, dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kodeord.adapters.db import messages as repo
from kodeord.adapters.db import outbound as outbound_repo
from kodeord.adapters.db.keywords import NumberRepository
from kodeord.adapters.queue import JobQueue
from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Invalid, NotFound
from kodeord.app.keywords.numbers import check_number_text, find_number
from kodeord.app.targets import check_url
from kodeord.domain.routes import RouteProblem, WebhookRoute, parse_route
from kodeord.domain.signing import new_signing_secret

MAX_PAGE = 500


def message_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "direction": row.direction,
        "status": row.status,
        "customer_id": row.customer_id,
        "number": row.number,
        "to": row.recipient,
        "from": row.sender,
        "text": row.text,
        "body": row.body,
        "keyword": row.keyword,
        "lease_id": row.lease_id,
        "route_step": row.route_step,
        "destination": row.destination,
        "encoding": row.encoding,
        "segments": row.segments,
        "received_at": row.received_at,
        "routed_at": row.routed_at,
        "delivered_at": row.delivered_at,
        "price_ore": row.price_ore,
        "reference": row.reference,
        "send_at": row.send_at,
        "expires_at": row.expires_at,
        "origin": row.origin,
        "error": row.error,
        "erased_at": row.erased_at,  # retention erased the text and phone number then
    }


def attempt_view(row: Any) -> dict[str, Any]:
    return {
        "attempt": row.attempt,
        "destination": row.destination,
        "target": row.target,
        "ok": row.ok,
        "status_code": row.status_code,
        "error": row.error,
        "duration_ms": row.duration_ms,
        "at": row.at,
    }


async def list_messages(
    ctx: Context,
    principal: Principal,
    *,
    direction: str | None,
    keyword: str | None,
    number: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    before_id: int | None,
) -> list[dict[str, Any]]:
    if number is not None:
        check_number_text(number)
    async with ctx.db.read() as conn:
        rows = await repo.list_messages(
            conn,
            customer_id=principal.customer_id,
            admin=principal.is_admin,
            direction=direction,
            keyword=keyword.upper() if keyword else None,
            number=number,
            since=since,
            until=until,
            limit=min(limit, MAX_PAGE),
            before_id=before_id,
        )
    return [message_view(row) for row in rows]


async def get_message(ctx: Context, principal: Principal, message_id: int) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        row = await repo.get_message(conn, message_id)
        if row is None or not (principal.is_admin or row.customer_id == principal.customer_id):
            raise NotFound("message_not_found", f"no message {message_id}")
        attempts = await repo.attempts_of(conn, message_id)
        history = await outbound_repo.events_of(conn, message_id)
        parts = await outbound_repo.parts_of(conn, message_id)
    return {
        **message_view(row),
        "attempts": [attempt_view(a) for a in attempts],
        "history": [{"status": e.status, "detail": e.detail, "at": e.at} for e in history],
        "parts": [
            {"seq": p.seq, "status": p.status, "operator_ref": p.operator_ref, "link": p.link}
            for p in parts
        ],
    }


async def rotate_signing_secret(ctx: Context, principal: Principal) -> dict[str, Any]:
    """A new signing secret for the caller's webhooks, shown this once."""
    if principal.customer_id is None:
        raise Invalid("customer_only", "signing secrets belong to customers; use a customer key")
    secret = new_signing_secret(ctx.random_bytes(32))
    sealed = ctx.secret_box.seal(secret)  # stored sealed (adapters/secretbox.py)
    async with ctx.db.transaction() as conn:
        await repo.set_signing_secret(conn, principal.customer_id, sealed, ctx.clock())
    ctx.routing_changed(None)  # the registry caches secrets with the customers' settings
    return {"secret": secret}


async def set_customer_settings(
    ctx: Context,
    principal: Principal,
    session_window_minutes: int | None,
    default_route: dict[str, Any] | None,
) -> dict[str, Any]:
    if principal.customer_id is None:
        raise Invalid("customer_only", "settings belong to a customer; use a customer key")
    route = None
    if default_route is not None:
        parsed = parse_route(default_route)
        if isinstance(parsed, RouteProblem):
            field = f"default_route.{parsed.field}"
            raise Invalid("invalid_route", f"{field}: {parsed.message}", field=field)
        if isinstance(parsed, WebhookRoute):
            field = "default_route.url"
            await check_url(ctx, parsed.url, field=field, shape_code="invalid_route")
        route = parsed.to_json()
    async with ctx.db.transaction() as conn:
        await repo.set_customer_settings(
            conn,
            principal.customer_id,
            session_window_minutes=session_window_minutes,
            default_route=route,
        )
    ctx.routing_changed(None)  # the customer's default route and session routing
    return {"session_window_minutes": session_window_minutes, "default_route": route}


async def set_number_settings(
    ctx: Context, number: str, help_text: str | None, reply_unknown: bool
) -> dict[str, Any]:
    async with ctx.db.transaction() as conn:
        await find_number(NumberRepository(conn), number)
        await repo.set_number_settings(
            conn, number, help_text=help_text, reply_unknown=reply_unknown
        )
    ctx.routing_changed(number)
    return {"number": number, "help_text": help_text, "reply_unknown": reply_unknown}


def job_view(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "payload": job.payload,
        "attempts": job.attempts,
        "last_error": job.last_error,
        "created_at": job.created_at,
    }


async def dead_letters(queue: JobQueue, limit: int, offset: int) -> list[dict[str, Any]]:
    return [job_view(job) for job in await queue.list_dead(min(limit, MAX_PAGE), offset)]


async def replay(queue: JobQueue, job_id: int | None) -> dict[str, Any]:
    if job_id is None:
        return {"replayed": await queue.replay_all()}
    if not await queue.replay(job_id):
        raise NotFound("dead_letter_not_found", f"no dead job {job_id}")
    return {"replayed": 1}
