"""The audit hook: one place that writes the audit log for every change made over the API.

Rules:
- A request is audited when something marked it (`mark`) and it changes things (POST,
  PUT, PATCH, DELETE) and it succeeded (status below 400). Authentication marks every
  request made with the admin token (web/deps.py), so every admin route is covered
  without its handler doing anything; customers' key-management routes mark their
  requests themselves (web/api/keys.py). Read-only calls (GET) are not audited.
- The entry is written when the response starts, after the handler's own transaction
  has committed and before the client hears of the success. A crash between the two
  loses that one entry; an entry that cannot be written is logged, the response still
  goes out (the change has been made).
- The action is the route's name (FastAPI's: the handler's function name, or `name=`
  on the route, e.g. `api_key.revoke`); the target is what a handler `note`d, else the
  path's parameters (`lease_id:7`); whose data: a `customer_id` noted or in the path,
  else the calling customer. The client address is the TCP peer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kodeord.app.accounts import audit
from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context

log = structlog.get_logger(__name__)

CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_STATE = "kodeord_audit"  # request.state attribute (the scope's "state" dict)


@dataclass(slots=True)
class _Mark:
    principal: Principal
    target: str | None = None
    customer_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def mark(request: Request, principal: Principal) -> None:
    """Audit this request if it changes something and succeeds."""
    if getattr(request.state, _STATE, None) is None:
        setattr(request.state, _STATE, _Mark(principal))


def note(
    request: Request,
    *,
    target: str | None = None,
    customer_id: int | None = None,
    **detail: Any,
) -> None:
    """Say what a marked request acted on (for an entry more precise than its path)."""
    found: _Mark | None = getattr(request.state, _STATE, None)
    if found is None:
        return
    found.target = target or found.target
    found.customer_id = customer_id if customer_id is not None else found.customer_id
    found.detail.update(detail)


def _entry(scope: Scope, found: _Mark, status: int) -> audit.Entry:
    route = scope.get("route")
    params: dict[str, Any] = scope.get("path_params") or {}
    target = found.target or "/".join(f"{k}:{v}" for k, v in params.items()) or None
    customer_id = found.customer_id
    if customer_id is None and str(params.get("customer_id", "")).isdigit():
        customer_id = int(params["customer_id"])
    if customer_id is None:
        customer_id = found.principal.customer_id
    client = scope.get("client")
    return audit.Entry(
        actor=found.principal.actor,
        action=getattr(route, "name", None) or "unknown",
        target=target,
        customer_id=customer_id,
        source=client[0] if client else None,
        detail={**found.detail, "method": scope["method"], "path": scope["path"], "status": status},
    )


class AuditMiddleware:
    """Writes the entry of a marked, changing request as its successful response starts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGING:
            await self.app(scope, receive, send)
            return

        async def send_audited(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                await self._record(scope, message["status"])
            await send(message)

        await self.app(scope, receive, send_audited)

    async def _record(self, scope: Scope, status: int) -> None:
        found: _Mark | None = (scope.get("state") or {}).get(_STATE)
        if found is None:
            return
        entry = _entry(scope, found, status)
        ctx: Context = scope["app"].state.context
        try:
            await audit.record(ctx, entry)
        except Exception:
            log.exception("audit entry not written", action=entry.action, actor=entry.actor)
