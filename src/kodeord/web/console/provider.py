"""The provider's pages: customers (create, suspend, resume), short numbers (create with
mode and fees in kroner; per number its help text, "did you mean", reply language and
dialog IDs), the operator inbox with "hand to customer", the operator links with their
live state, and opt-outs (look up a phone, remove one, export all as CSV) — over the
same services as the admin API.

Rules: provider users only (`OPERATE`); to anyone else these pages do not exist (404).
Every change is audited as the admin API's are (the user as actor). The links' state is
polled by the page every 2 s as JSON (`/console/provider/links.json`).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from kodeord.app.accounts import customers
from kodeord.app.errors import AppError, NotFound
from kodeord.app.keywords import numbers
from kodeord.app.mo import operator_inbox, opt_outs
from kodeord.app.mt import messages
from kodeord.domain.numbers import NumberMode, ShortNumber, is_short_number
from kodeord.domain.users import Action
from kodeord.web import audit_hook
from kodeord.web.api.opt_outs import csv_lines
from kodeord.web.console.render import finish, redirect, render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage, stored_id

router = APIRouter(prefix="/console/provider")

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
    found = stored_id(value)
    if found is None:
        raise NotFound("not_found", "no such id")
    return found


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


# --- numbers ---------------------------------------------------------------------------

FEES = ("keyword_fee", "monthly_fee", "setup_fee", "segment_price")
_KRONER = re.compile(r"^\d{1,7}([.,]\d{1,2})?$")
NUMBER_ERRORS = {
    "number_exists": ("number", "That number is registered already."),
    "customer_not_found": ("owner", "There is no such customer."),
}


def ore(typed: str) -> int | None:
    """Kroner as typed ("10", "10,5", "1 234,50") in øre; None when it is not an amount."""
    compact = typed.replace(" ", "").replace("\u00a0", "") or "0"
    if not _KRONER.match(compact):
        return None
    whole, _, fraction = compact.replace(",", ".").partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def number_problems(typed: dict[str, str]) -> dict[str, str]:
    """The form's problems by field, in English (translated when shown)."""
    problems = {}
    if not is_short_number(typed["number"]):
        problems["number"] = "A short number is 4 or 5 digits, not starting with 0."
    if typed["mode"] == "dedicated" and not typed["owner"].isdigit():
        problems["owner"] = "A dedicated number needs its customer."
    for fee in FEES:
        if ore(typed[fee]) is None:
            problems[fee] = "Give an amount in kroner, e.g. 49 or 49,50."
    return problems


async def _numbers_page(
    found: Page,
    status: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    ctx = found.gateway.ctx
    blank = {"number": "", "mode": "shared", "owner": "", **{fee: "0" for fee in FEES}}
    return render(
        found,
        "provider/numbers.html",
        status,
        numbers=await numbers.list_numbers(ctx, found.principal),
        customers=await customers.list_customers(ctx),
        typed=typed or blank,
        errors=errors or {},
        fees=FEES,
    )


@router.get("/numbers")
async def number_list(found: UserPage) -> Response:
    _provider(found)
    return await _numbers_page(found)


@router.post("/numbers", name="create_number")
async def create_number(found: UserPage, form: UserForm, request: Request) -> Response:
    _provider(found, request)
    typed = {key: form.get(key) for key in ("number", "mode", "owner", *FEES)}
    typed["mode"] = "dedicated" if typed["mode"] == "dedicated" else "shared"
    problems = number_problems(typed)
    if problems:
        return await _numbers_page(found, 422, typed, {k: found.t(v) for k, v in problems.items()})
    dedicated = typed["mode"] == "dedicated"
    amounts = {fee: ore(typed[fee]) or 0 for fee in FEES}
    made = ShortNumber(
        number=typed["number"],
        mode=NumberMode.DEDICATED if dedicated else NumberMode.SHARED,
        owner_customer_id=int(typed["owner"]) if dedicated else None,
        premium=False,
        monthly_fee_ore=amounts["monthly_fee"],
        setup_fee_ore=amounts["setup_fee"],
        keyword_fee_ore=amounts["keyword_fee"],
        segment_price_ore=amounts["segment_price"],
    )
    try:
        await numbers.create_number(found.gateway.ctx, made)
    except AppError as refused:
        field, text = NUMBER_ERRORS.get(refused.code, ("number", "The number cannot be created."))
        return await _numbers_page(found, 422, typed, {field: found.t(text)})
    audit_hook.note(request, target=f"number:{made.number}")
    return redirect(found, f"/console/provider/numbers/{made.number}")


async def _settings_page(
    found: Page,
    number: str,
    status: int = 200,
    typed: dict[str, Any] | None = None,
    error: str | None = None,
    saved: bool = False,
) -> Response:
    try:
        current = await messages.number_settings(found.gateway.ctx, number)
    except AppError as missing:
        raise ConsoleRefusal(404, found.t("There is no such number.")) from missing
    return render(
        found,
        "provider/number.html",
        status,
        number=number,
        settings=typed or current,
        error=error,
        saved=saved,
    )


@router.get("/numbers/{number}")
async def number_settings(found: UserPage, number: str) -> Response:
    _provider(found)
    return await _settings_page(found, number)


@router.post("/numbers/{number}", name="number_settings")
async def save_number_settings(
    found: UserPage, form: UserForm, request: Request, number: str
) -> Response:
    _provider(found, request)
    await _settings_page(found, number)  # 404 before anything is changed
    typed: dict[str, Any] = {
        "help_text": form.raw("help_text").strip() or None,
        "reply_unknown": form.get("reply_unknown") == "on",
        "reply_language": "en" if form.get("reply_language") == "en" else "nb",
        "dialog_ids": form.get("dialog_ids") == "on",
    }
    if typed["help_text"] is not None and len(typed["help_text"]) > 480:
        return await _settings_page(found, number, 422, typed, found.t("At most 480 characters."))
    await messages.set_number_settings(
        found.gateway.ctx,
        number,
        typed["help_text"],
        typed["reply_unknown"],
        typed["reply_language"],
        typed["dialog_ids"],
    )
    audit_hook.note(request, target=f"number:{number}")
    return await _settings_page(found, number, saved=True)
