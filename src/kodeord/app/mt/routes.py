"""A route as its owner looks after it: where a keyword's messages (or, with no lease,
the customer's default route's) go now, the last delivery attempts of those messages, and
a signed test delivery to a webhook route.

Rules:
- Routes are set by `leasing.set_route` and `messages.set_default_route`, the checks the
  API uses; this module only reads them and tests them.
- Another customer's lease is not found (404), as everywhere; routes belong to customers,
  so a caller without a customer has none.
- The test delivery goes through the real webhook sender (the delivery's address checks,
  timeouts and Standard Webhooks signature), signed with the customer's signing secret,
  to the route as stored. It is no message: nothing is recorded, its id starts `test_`
  and its type is `test` so a receiver can tell it from a delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kodeord.app.accounts.customers import Principal
from kodeord.app.context import Context
from kodeord.app.delivery import DeliveryOutcome, SigningSecrets, WebhookPoster
from kodeord.app.errors import Conflict, Invalid
from kodeord.app.keywords.lifecycle import lease_view, visible_lease
from kodeord.app.keywords.ports import KeywordsTx
from kodeord.app.mt.ports import MessageLog, RecentAttempt, SettingsStore
from kodeord.domain.routes import DEFAULT_ROUTE, Route, WebhookRoute, route_from_json

RECENT = 10
TEST_TEXT = "Test from Kodeord: your webhook answers."


class RoutesTx(KeywordsTx, Protocol):
    @property
    def message_log(self) -> MessageLog: ...

    @property
    def customer_settings(self) -> SettingsStore: ...


@dataclass(frozen=True, slots=True)
class RouteState:
    """A lease's route (`lease` None: the customer's default route) as it is now."""

    customer_id: int
    lease: dict[str, Any] | None
    route: Route
    deliveries: list[RecentAttempt]
    signed: bool  # the customer has a signing secret (a webhook needs one)


def customer_of(principal: Principal) -> int:
    if principal.customer_id is None:
        raise Invalid("customer_only", "routes belong to a customer")
    return principal.customer_id


async def route_state(
    ctx: Context[RoutesTx], principal: Principal, lease_id: int | None
) -> RouteState:
    customer_id = customer_of(principal)
    async with ctx.storage.read() as tx:
        if lease_id is None:
            lease = None
            stored = await tx.customer_settings.default_route(customer_id)
            route = route_from_json(stored) if stored else DEFAULT_ROUTE
        else:
            found = await visible_lease(tx, principal, lease_id)
            lease, route = lease_view(found), found.route
        deliveries = await tx.message_log.recent_attempts(customer_id, lease_id, RECENT)
        signed = bool(await tx.routing_facts.signing_secrets([customer_id]))
    return RouteState(customer_id, lease, route, deliveries, signed)


def test_delivery_payload(state: RouteState, webhook_id: str, sent_at: str) -> dict[str, object]:
    lease = state.lease or {}
    return {
        "type": "test",
        "id": webhook_id,
        "number": lease.get("number"),
        "keyword": lease.get("keyword"),
        "text": TEST_TEXT,
        "sent_at": sent_at,
    }


async def send_test(
    ctx: Context[RoutesTx],
    principal: Principal,
    secrets: SigningSecrets,
    poster: WebhookPoster,
    lease_id: int | None,
) -> tuple[str, DeliveryOutcome]:
    """POST a signed test to the route's webhook: the URL and the outcome."""
    state = await route_state(ctx, principal, lease_id)
    if not isinstance(state.route, WebhookRoute):
        raise Conflict("not_a_webhook", "the route is no webhook: save a webhook route first")
    secret = await secrets.signing_secret(state.customer_id)
    if secret is None:
        raise Conflict("no_signing_secret", "webhooks are signed: create a signing secret first")
    now = ctx.clock()
    webhook_id = f"test_{ctx.random_bytes(12).hex()}"
    payload = test_delivery_payload(state, webhook_id, now.isoformat())
    outcome = await poster.send(state.route.url, secret, webhook_id, payload, timestamp=now)
    return state.route.url, outcome
