"""The provider's pages: customers (create, suspend, resume), the operator inbox with
"hand to customer", the operator links with their live state, and opt-outs (look up a
phone, remove one, export all as CSV) — over the same services as the admin API.

Rules: provider users only (`OPERATE`); to anyone else these pages do not exist (404).
Every change is audited as the admin API's are (the user as actor). The links' state is
polled by the page every 2 s as JSON (`/console/provider/links.json`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from kodeord.app.accounts import customers
from kodeord.app.errors import AppError, NotFound
from kodeord.app.mo import operator_inbox, opt_outs
from kodeord.domain.users import Action
from kodeord.web import audit_hook
from kodeord.web.api.opt_outs import csv_lines
from kodeord.web.console.render import finish, redirect, render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage

router = APIRouter(prefix="/console/provider")

MAX_ID = 2**63 - 1
CUSTOMER_ERRORS = {
    "invalid_name": "Give the customer a name (at most 200 characters).",
}
HAND_OVER_ERRORS = {
    "customer_not_found": "Choose a customer.",
    "customer_suspended": "That customer is suspended.",
    "already_handed_over": "That message has been handed over already.",
}


def _provider(found: Page, request: Request | None = None) -> None:
    if not found.is_provider:
        raise ConsoleRefusal(404, found.t("There is no such page."))
    found.require(Action.OPERATE)
    if request is not None:
        audit_hook.mark(request, found.principal)


def _id(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise NotFound("not_found", "no such id")
    return int(value)


# --- customers -----------------------------------------------------------------------


async def _customers_page(
    found: Page, status: int = 200, typed: str = "", error: str | None = None
) -> Response:
    listed = await customers.list_customers(found.gateway.ctx)
    return render(
        found, "provider/customers.html", status, customers=listed, typed=typed, error=error
    )


@router.get("/customers")
async def customer_list(found: UserPage) -> Response:
    _provider(found)
    return await _customers_page(found)


@router.post("/customers", name="create_customer")
async def create(found: UserPage, form: UserForm, request: Request) -> Response:
    _provider(found, request)
    name = form.get("name")
    if not name or len(name) > 200:
        return await _customers_page(found, 422, name, found.t(CUSTOMER_ERRORS["invalid_name"]))
    try:
        made = await customers.create_customer(found.gateway.ctx, name)
    except AppError as refused:
        text = CUSTOMER_ERRORS.get(refused.code, "The customer cannot be created.")
        return await _customers_page(found, 422, name, found.t(text))
    audit_hook.note(request, target=f"customer:{made['id']}", customer_id=made["id"])
    return redirect(found, "/console/provider/customers")


@router.post("/customers/{customer_id}/{change}", name="customer.change")
async def change_customer(
    found: UserPage, form: UserForm, request: Request, customer_id: str, change: str
) -> Response:
    _provider(found, request)
    act = {"suspend": customers.suspend_customer, "resume": customers.resume_customer}.get(change)
    try:
        if act is None:
            raise NotFound("not_found", "no such change")
        await act(found.gateway.ctx, _id(customer_id))
    except NotFound as missing:
        raise ConsoleRefusal(404, found.t("There is no such customer.")) from missing
    audit_hook.note(request, target=f"customer:{customer_id}", customer_id=int(customer_id))
    return redirect(found, "/console/provider/customers")


# --- the operator inbox ----------------------------------------------------------------


async def _inbox_page(
    found: Page,
    number: str = "",
    phone: str = "",
    status: int = 200,
    error: str | None = None,
    error_id: int | None = None,
) -> Response:
    ctx = found.gateway.ctx
    filters_error = None
    try:
        rows = await operator_inbox.list_inbox(ctx, number=number or None, phone=phone or None)
    except AppError:
        rows, filters_error = (
            [],
            found.t("Give a short number of 4 or 5 digits and a phone number."),
        )
    shown = [r for r in rows if r["handed_over_at"] is None and not r["erased_at"]]
    if error_id not in {r["id"] for r in shown}:
        error_id = None  # its row is gone: the message goes on top of the page
    return render(
        found,
        "provider/operator_inbox.html",
        status,
        rows=shown,
        customers=await customers.list_customers(ctx),
        number=number,
        phone=phone,
        filters_error=filters_error,
        error=error,
        error_id=error_id,
    )


@router.get("/operator-inbox")
async def inbox(found: UserPage, number: str = "", phone: str = "") -> Response:
    _provider(found)
    return await _inbox_page(found, number[:16], phone[:32])


@router.post("/operator-inbox/{message_id}/hand-over", name="hand_over")
async def hand_over(found: UserPage, form: UserForm, request: Request, message_id: str) -> Response:
    _provider(found, request)
    try:
        chosen = _id(form.get("customer_id"))
    except NotFound:
        return await _inbox_page(
            found,
            status=422,
            error=found.t("Choose a customer."),
            error_id=int(message_id) if message_id.isdigit() else None,
        )
    try:
        await operator_inbox.hand_over(found.gateway.ctx, _id(message_id), chosen)
    except AppError as refused:
        if isinstance(refused, NotFound) and refused.code != "customer_not_found":
            raise ConsoleRefusal(404, found.t("There is no such message.")) from refused
        text = HAND_OVER_ERRORS.get(refused.code, "The message cannot be handed over.")
        return await _inbox_page(
            found,
            status=422 if refused.code == "customer_not_found" else 409,
            error=found.t(text),
            error_id=int(message_id),
        )
    audit_hook.note(request, target=f"message:{message_id}", customer_id=chosen)
    return redirect(found, "/console/provider/operator-inbox")


# --- operator links --------------------------------------------------------------------


def _links(found: Page) -> list[dict[str, Any]]:
    return [
        {
            **link,
            "state_text": found.t(link["state"]),
            "per_second_text": f"{link['per_second']:.1f}".replace(".", ","),
            "last_error_at_text": found.texts.when(link["last_error_at"])
            if link["last_error_at"]
            else "",
        }
        for link in found.gateway.links.live()
    ]


@router.get("/links")
async def links(found: UserPage) -> Response:
    _provider(found)
    return render(found, "provider/links.html", links=_links(found))


@router.get("/links.json")
async def links_json(found: UserPage) -> Response:
    _provider(found)
    shown = [{k: v for k, v in link.items() if k != "last_error_at"} for link in _links(found)]
    return finish(found, JSONResponse(shown))


# --- opt-outs --------------------------------------------------------------------------


@router.get("/opt-outs")
async def opt_out_page(found: UserPage, phone: str = "") -> Response:
    _provider(found)
    rows: list[dict[str, Any]] = []
    error = None
    if phone:
        try:
            rows = await opt_outs.look_up(found.gateway.ctx, phone[:32])
        except AppError:
            error = found.t("That is not a phone number.")
    status = 422 if error else 200
    return render(
        found,
        "provider/opt_outs.html",
        status,
        phone=phone[:32],
        rows=rows,
        error=error,
        looked=bool(phone),
    )


@router.post("/opt-outs/{number}/{phone}/remove", name="remove_opt_out")
async def remove_opt_out(
    found: UserPage, form: UserForm, request: Request, number: str, phone: str
) -> Response:
    _provider(found, request)
    try:
        await opt_outs.remove(found.gateway.ctx, number, phone)
    except AppError as refused:
        raise ConsoleRefusal(404, found.t("There is no such opt-out.")) from refused
    audit_hook.note(request, target=f"opt_out:{number}:{phone}")
    return redirect(found, f"/console/provider/opt-outs?phone={phone}")


@router.get("/opt-outs.csv")
async def export(found: UserPage) -> Response:
    _provider(found)
    response = StreamingResponse(
        csv_lines(opt_outs.export(found.gateway.ctx)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="opt-outs.csv"'},
    )
    return finish(found, response)
