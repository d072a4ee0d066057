"""The route editor: where a keyword's messages go, and the customer's default route.

`/console/routes` lists the customer's keywords with their routes; each one's page (and
`/console/routes/default`) chooses a webhook (URL), e-mail (address), SMS forward (phone),
the customer's SMPP binds or the inbox, with the checks the API's `PUT
/v1/keywords/{id}/route` and `PUT /v1/settings` make (a webhook to a private or loopback
address is refused, next to the field). A webhook route has a "send test" button (a signed
POST through the real webhook sender; the page shows the answer's code); every route page
shows the last delivery attempts of its messages with their response codes.

Members see routes and deliveries; owners change routes and send tests.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from kodeord.app.delivery import DeliveryOutcome
from kodeord.app.errors import AppError, NotFound
from kodeord.app.keywords import leasing
from kodeord.app.mt import messages
from kodeord.app.mt import routes as app_routes
from kodeord.domain.routes import (
    ROUTE_TYPES,
    EmailRoute,
    Route,
    RouteType,
    SmsRoute,
    WebhookRoute,
    route_from_json,
)
from kodeord.domain.users import Action
from kodeord.web.console.render import redirect, render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

DEFAULT = "default"
# the form field of each route type that has one, and the route's own name for it
FIELDS = {
    RouteType.WEBHOOK: ("url", "url"),
    RouteType.EMAIL: ("email", "to"),
    RouteType.SMS: ("phone", "to"),
}
ROUTE_ERRORS = {
    "invalid_route.webhook": "Type a web address that starts with https:// or http://.",
    "invalid_route.email": "That is not an e-mail address.",
    "invalid_route.sms": "Type a phone number, e.g. +4791234567.",
    "invalid_route.type": "Choose where the messages go.",
    "refused_target": "Webhooks go only to public internet addresses, not to this one.",
    "unresolvable_target": "That host name has no address on the internet.",
    "keyword_released": "This keyword is not active: its route cannot change.",
    "not_a_webhook": "Save a webhook route first, then test it.",
    "no_signing_secret": "Webhooks are signed: first create a signing secret (developer page).",
}


def _lease_id(found: Page, target: str) -> int | None:
    if found.customer_id is None:
        raise ConsoleRefusal(404, found.t("Routes belong to a customer."))
    if target == DEFAULT:
        return None
    if not target.isdigit() or len(target) > 9:
        raise ConsoleRefusal(404, found.t("No such keyword."))
    return int(target)


def typed_of(route: Route) -> dict[str, str]:
    """The form's fields for a stored route."""
    typed = {"type": route.type.value, "url": "", "email": "", "phone": ""}
    if isinstance(route, WebhookRoute):
        typed["url"] = route.url
    elif isinstance(route, EmailRoute):
        typed["email"] = route.to
    elif isinstance(route, SmsRoute):
        typed["phone"] = route.to
    return typed


def route_of(typed: dict[str, str]) -> dict[str, str]:
    """The route as the app takes it, from the form."""
    route = {"type": typed["type"]}
    chosen = FIELDS.get(RouteType(typed["type"])) if typed["type"] in ROUTE_TYPES else None
    if chosen is not None:
        field, key = chosen
        route[key] = typed[field]
    return route


def refusal_text(refused: AppError, route_type: str) -> str:
    kind = route_type if route_type in ROUTE_TYPES else "type"
    text = ROUTE_ERRORS.get(refused.code) or ROUTE_ERRORS.get(f"{refused.code}.{kind}")
    return text or "The route cannot be saved."


async def _state(found: Page, lease_id: int | None) -> app_routes.RouteState:
    try:
        return await app_routes.route_state(found.gateway.ctx, found.principal, lease_id)
    except NotFound:
        raise ConsoleRefusal(404, found.t("No such keyword.")) from None


async def _page(
    found: Page,
    target: str,
    status: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: str | None = None,
    tested: tuple[str, DeliveryOutcome] | None = None,
) -> Response:
    state = await _state(found, _lease_id(found, target))
    return render(
        found,
        "routes/route.html",
        status,
        target=target,
        state=state,
        typed=typed or typed_of(state.route),
        errors=errors or {},
        problem=problem,
        tested=tested,
        saved=found.request.query_params.get("saved") == "1",
        can_change=found.may(Action.MANAGE_KEYWORDS),
    )


@router.get("/routes")
async def routes_index(found: UserPage) -> Response:
    found.require(Action.READ_ACCOUNT)
    _lease_id(found, DEFAULT)
    ctx, principal = found.gateway.ctx, found.principal
    default = await _state(found, None)
    leases = [
        (lease, route_from_json(lease["route"]))
        for lease in await leasing.list_leases(ctx, principal)
    ]
    return render(found, "routes/index.html", default=default, leases=leases)


@router.get("/routes/{target}")
async def route_page(found: UserPage, target: str) -> Response:
    found.require(Action.READ_ACCOUNT)
    return await _page(found, target)


@router.post("/routes/{target}")
async def save_route(found: UserPage, form: UserForm, target: str) -> Response:
    found.require(Action.MANAGE_KEYWORDS)
    lease_id = _lease_id(found, target)
    await _state(found, lease_id)  # another customer's lease: 404 before anything is checked
    typed = {name: form.get(name) for name in ("type", "url", "email", "phone")}
    ctx, principal = found.gateway.ctx, found.principal
    try:
        if lease_id is None:
            await messages.set_default_route(ctx, principal, route_of(typed))
        else:
            await leasing.set_route(ctx, principal, lease_id, route_of(typed))
    except AppError as refused:
        text = found.t(refusal_text(refused, typed["type"]))
        chosen = FIELDS.get(RouteType(typed["type"])) if typed["type"] in ROUTE_TYPES else None
        if chosen is None or refused.code == "keyword_released":
            return await _page(found, target, 422, typed, problem=text)
        return await _page(found, target, 422, typed, {chosen[0]: text})
    return redirect(found, f"/console/routes/{target}?saved=1")


@router.post("/routes/{target}/test")
async def send_test(found: UserPage, form: UserForm, target: str) -> Response:
    found.require(Action.MANAGE_KEYWORDS)
    lease_id = _lease_id(found, target)
    gateway = found.gateway
    try:
        tested = await app_routes.send_test(
            gateway.ctx, found.principal, gateway.registry, gateway.webhooks, lease_id
        )
    except NotFound:
        raise ConsoleRefusal(404, found.t("No such keyword.")) from None
    except AppError as refused:
        return await _page(found, target, 409, problem=found.t(refusal_text(refused, "")))
    return await _page(found, target, tested=tested)
