"""Use cases around messages: read them back, signing secrets, settings, dead letters.

Rules:
- A customer reads only its own messages; the admin reads all (the inbox included). A
  page has at most `MAX_PAGE` messages, newest first.
- Settings and secrets that routing reads (a customer's default route and session
  window, its signing secret, a number's help text) tell the router's registry to read
  them again (`ctx.routing_changed`) once they are committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.errors import Invalid, NotFound
from kodeord.app.jobs import Job
from kodeord.app.keywords.numbers import check_number_text, find_number
from kodeord.app.keywords.ports import NumberStore
from kodeord.app.mt.ports import (
    AttemptRecord,
    DeadLetters,
    MessageFilter,
    MessageLog,
    MessageRecord,
    PartStore,
    SettingsStore,
)
from kodeord.app.targets import check_url
from kodeord.domain.routes import RouteProblem, WebhookRoute, parse_route
from kodeord.domain.signing import new_signing_secret


class MessagesTx(Protocol):
    @property
    def message_log(self) -> MessageLog: ...

    @property
    def mt_parts(self) -> PartStore: ...

    @property
    def customer_settings(self) -> SettingsStore: ...

    @property
    def numbers(self) -> NumberStore: ...


MAX_PAGE = 500


def message_view(row: MessageRecord) -> dict[str, Any]:
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


def attempt_view(row: AttemptRecord) -> dict[str, Any]:
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
    ctx: Context[MessagesTx],
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
    wanted = MessageFilter(
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
    async with ctx.storage.read() as tx:
        rows = await tx.message_log.page(wanted)
    return [message_view(row) for row in rows]


async def get_message(
    ctx: Context[MessagesTx], principal: Principal, message_id: int
) -> dict[str, Any]:
    async with ctx.storage.read() as tx:
        row = await tx.message_log.get(message_id)
        if row is None or not (principal.is_admin or row.customer_id == principal.customer_id):
            raise NotFound("message_not_found", f"no message {message_id}")
        attempts = await tx.message_log.attempts_of(message_id)
        history = await tx.message_log.events_of(message_id)
        parts = await tx.mt_parts.parts_of(message_id)
    return {
        **message_view(row),
        "attempts": [attempt_view(a) for a in attempts],
        "history": [{"status": e.status, "detail": e.detail, "at": e.at} for e in history],
        "parts": [
            {"seq": p.seq, "status": p.status, "operator_ref": p.operator_ref, "link": p.link}
            for p in parts
        ],
    }


async def rotate_signing_secret(ctx: Context[MessagesTx], principal: Principal) -> dict[str, Any]:
    """A new signing secret for the caller's webhooks, shown this once."""
    if principal.customer_id is None:
        raise Invalid("customer_only", "signing secrets belong to customers; use a customer key")
    customer_id = principal.customer_id
    secret = new_signing_secret(ctx.random_bytes(32))
    sealed = ctx.secret_box.seal(secret)  # stored sealed (adapters/secretbox.py)
    async with ctx.storage.transaction() as tx:
        await tx.customer_settings.set_signing_secret(customer_id, sealed, ctx.clock())
    ctx.routing_changed(None)  # the registry caches secrets with the customers' settings
    return {"secret": secret}


async def _checked_default_route(
    ctx: Context[MessagesTx], default_route: dict[str, Any], prefix: str
) -> dict[str, Any]:
    """The route to store as a default, or Invalid naming `prefix` + the field."""
    parsed = parse_route(default_route)
    if isinstance(parsed, RouteProblem):
        field = f"{prefix}{parsed.field}"
        raise Invalid("invalid_route", f"{field}: {parsed.message}", field=field)
    if isinstance(parsed, WebhookRoute):
        field = f"{prefix}url"
        await check_url(ctx, parsed.url, field=field, shape_code="invalid_route")
    return parsed.to_json()


def _customer_of(principal: Principal) -> int:
    if principal.customer_id is None:
        raise Invalid("customer_only", "settings belong to a customer; use a customer key")
    return principal.customer_id


async def set_customer_settings(
    ctx: Context[MessagesTx],
    principal: Principal,
    session_window_minutes: int | None,
    default_route: dict[str, Any] | None,
) -> dict[str, Any]:
    customer_id = _customer_of(principal)
    route = None
    if default_route is not None:
        route = await _checked_default_route(ctx, default_route, "default_route.")
    async with ctx.storage.transaction() as tx:
        await tx.customer_settings.set_routing(customer_id, session_window_minutes, route)
    ctx.routing_changed(None)  # the customer's default route and session routing
    return {"session_window_minutes": session_window_minutes, "default_route": route}


async def set_default_route(
    ctx: Context[MessagesTx], principal: Principal, default_route: dict[str, Any]
) -> dict[str, Any]:
    """Set only the customer's default route (the console's route editor); the session
    window stays as it is. The same checks as `set_customer_settings`."""
    customer_id = _customer_of(principal)
    route = await _checked_default_route(ctx, default_route, "")
    async with ctx.storage.transaction() as tx:
        await tx.customer_settings.set_default_route(customer_id, route)
    ctx.routing_changed(None)
    return route


async def set_number_settings(
    ctx: Context[MessagesTx],
    number: str,
    help_text: str | None,
    reply_unknown: bool,
    reply_language: str = "nb",
    dialog_ids: bool = False,
) -> dict[str, Any]:
    """A number's settings; `reply_language` (nb or en, checked by the caller) is the
    language of its automatic replies (domain/texts.py); `dialog_ids` gives MT in
    conversations a dialog suffix (app/mt/dialogs.py)."""
    async with ctx.storage.transaction() as tx:
        await find_number(tx.numbers, number)
        await tx.customer_settings.set_number(
            number, help_text, reply_unknown, reply_language, dialog_ids
        )
    ctx.routing_changed(number)
    return {
        "number": number,
        "help_text": help_text,
        "reply_unknown": reply_unknown,
        "reply_language": reply_language,
        "dialog_ids": dialog_ids,
    }


async def number_settings(ctx: Context[MessagesTx], number: str) -> dict[str, Any]:
    async with ctx.storage.read() as tx:
        await find_number(tx.numbers, number)
        settings = await tx.customer_settings.number(number)
    return {"number": number, **settings}


def job_view(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "payload": job.payload,
        "attempts": job.attempts,
        "last_error": job.last_error,
        "created_at": job.created_at,
    }


async def dead_letters(queue: DeadLetters, limit: int, offset: int) -> list[dict[str, Any]]:
    return [job_view(job) for job in await queue.list_dead(min(limit, MAX_PAGE), offset)]


async def replay(queue: DeadLetters, job_id: int | None) -> dict[str, Any]:
    if job_id is None:
        return {"replayed": await queue.replay_all()}
    if not await queue.replay(job_id):
        raise NotFound("dead_letter_not_found", f"no dead job {job_id}")
    return {"replayed": 1}
