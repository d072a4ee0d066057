"""The keywords pages: search a keyword as you type (available, or why not, with
warnings and suggestions), lease it, and each keyword's term, cancel / keep renewing /
end now and history — through the same services as `/v1/keywords`.

Rules:
- Search and lease are the customer's (owners: `MANAGE_KEYWORDS`); members and the
  provider see the list and the keyword pages. The provider sees every customer's, or
  one customer's it picks (`?customer=<id>`; an unknown id shows no keywords).
- The answer names what a keyword clashes with but never who holds it (as the API).
- Reasons and warnings are shown in the user's language by their code (`REASONS`,
  `WARNINGS`), so a new code shows the API's English message rather than nothing.
- Cancel ends the lease when its term ends (renewal stops; "keep renewing" undoes it
  before then); "end now" releases it at once. Each change is audited as the API's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kodeord.app.accounts import customers
from kodeord.app.errors import AppError, NotFound
from kodeord.app.keywords import leasing, lifecycle, numbers
from kodeord.domain.users import Action
from kodeord.web import audit_hook
from kodeord.web.console.render import finish, redirect, render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage, stored_id

router = APIRouter(prefix="/console")

REASONS = {
    "invalid": "Use 1–16 letters A–Å or digits 0–9.",
    "reserved": "{keyword} is reserved for the gateway's own use.",
    "dedicated_number": "This number belongs to one customer; it takes no leases.",
    "taken": "{keyword} is taken on this number.",
    "duplicate": "The same word is given twice.",
    "quarantined": "{keyword} was released lately; only its last holder can take it back yet.",
    "confusable": "{keyword} looks too much like {near}, a keyword on this number.",
    "protected": "{keyword} is too close to the protected name {near}.",
}
WARNINGS = {
    "similar": "Close to {near}: people may mistype one for the other.",
    "sounds_like": "Sounds like {near}.",
}
LEASE_ERRORS = {
    "number_not_found": ("number", "Choose a short number."),
    "invalid_number": ("number", "Choose a short number."),
}
CHANGE_ERRORS = {
    "keyword_released": "The keyword has ended already.",
    "keyword_suspended": "A suspended keyword is ended only by the provider.",
}


def _id(lease_id: int) -> int:
    found = stored_id(lease_id)
    if found is None:
        raise NotFound("lease_not_found", "no such keyword")
    return found


def _explained(found: Page, answer: dict[str, Any]) -> dict[str, Any]:
    """The availability answer with its reasons and warnings in the user's language."""

    def say(table: dict[str, str], item: dict[str, Any]) -> str:
        text = table.get(item["code"])
        return (
            found.t(text, keyword=item["keyword"], near=item.get("near") or "")
            if text
            else item["message"]
        )

    return {
        "available": answer["available"],
        "keyword": answer["keyword"],
        "reasons": [say(REASONS, r) for r in answer["reasons"]],
        "warnings": [say(WARNINGS, w) for w in answer["warnings"]],
        "suggestions": answer["suggestions"],
        "fee": found.t("{fee} a month", fee=found.texts.money(answer["monthly_fee_ore"])),
    }


async def _shared_numbers(found: Page) -> list[str]:
    usable = await numbers.list_numbers(found.gateway.ctx, found.principal)
    return [n["number"] for n in usable if n["mode"] == "shared"]


async def _list(
    found: Page,
    status: int = 200,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    check: dict[str, Any] | None = None,
    picked: int | None = None,
) -> Response:
    ctx, principal = found.gateway.ctx, found.principal
    leases = await leasing.list_leases(ctx, principal)
    # a customer sees only its own leases already; the provider narrows all of them
    if picked is not None:
        leases = [lease for lease in leases if lease["customer_id"] == picked]
    names = (
        {c["id"]: c["name"] for c in await customers.list_customers(ctx)}
        if found.is_provider
        else {}
    )
    return render(
        found,
        "keywords/keywords.html",
        status,
        leases=leases,
        customer_names=names,
        picked=picked,
        numbers=await _shared_numbers(found),
        typed=typed or {"number": "", "keyword": ""},
        errors=errors or {},
        check=check,
        can_lease=found.customer_id is not None and found.may(Action.MANAGE_KEYWORDS),
    )


def _picked(found: Page, customer: str) -> int | None:
    return stored_id(customer) if found.is_provider else None


@router.get("/keywords")
async def keywords(found: UserPage, customer: str = "") -> Response:
    found.require(Action.READ_ACCOUNT)
    return await _list(found, picked=_picked(found, customer))


def _may_lease(found: Page) -> None:
    found.require(Action.MANAGE_KEYWORDS)
    if found.customer_id is None:
        raise ConsoleRefusal(404, found.t("Keywords are leased by customers."))


@router.get("/keywords/check")
async def check(found: UserPage, number: str = "", keyword: str = "") -> Response:
    """The availability of `keyword` on `number`, for the search as you type."""
    _may_lease(found)
    try:
        answer = await leasing.availability(
            found.gateway.ctx, found.principal, number, keyword[:64], None
        )
    except AppError as refused:
        field, text = LEASE_ERRORS.get(refused.code, ("keyword", "That cannot be checked."))
        return finish(
            found, JSONResponse({"error": found.t(text, keyword=keyword), "field": field}, 422)
        )
    return finish(found, JSONResponse(_explained(found, answer)))


@router.post("/keywords/lease", name="keyword.lease")
async def lease(found: UserPage, form: UserForm, request: Request) -> Response:
    _may_lease(found)
    audit_hook.mark(request, found.principal)
    typed = {"number": form.get("number"), "keyword": form.get("keyword")}
    ctx, principal = found.gateway.ctx, found.principal
    if not typed["keyword"]:
        return await _list(found, 422, typed, {"keyword": found.t("Type a keyword.")})
    try:
        made = await leasing.lease(ctx, principal, typed["number"], typed["keyword"])
    except AppError as refused:
        if refused.code in LEASE_ERRORS:
            field, text = LEASE_ERRORS[refused.code]
            errors = {field: found.t(text, keyword=typed["keyword"].upper())}
            return await _list(found, 422, typed, errors)
        try:
            answer = await leasing.availability(
                ctx, principal, typed["number"], typed["keyword"], None
            )
        except AppError:
            return await _list(found, 422, typed, {"number": found.t("Choose a short number.")})
        explained = _explained(found, answer)
        reason = " ".join(explained["reasons"]) or found.t("That keyword cannot be leased.")
        return await _list(found, 422, typed, {"keyword": reason}, explained)
    audit_hook.note(request, target=f"lease_id:{made['id']}")
    return redirect(found, f"/console/keywords/{made['id']}")


async def _keyword_page(
    found: Page, lease_id: int, status: int = 200, error: str | None = None
) -> Response:
    ctx, principal = found.gateway.ctx, found.principal
    try:
        lease = await leasing.get_lease(ctx, principal, _id(lease_id))
        history = await lifecycle.history(ctx, principal, lease_id)
    except NotFound as missing:
        raise ConsoleRefusal(404, found.t("There is no such keyword.")) from missing
    return render(
        found,
        "keywords/keyword.html",
        status,
        lease=lease,
        history=list(reversed(history)),
        error=error,
        can_change=found.customer_id is not None and found.may(Action.MANAGE_KEYWORDS),
    )


@router.get("/keywords/{lease_id}")
async def keyword(found: UserPage, lease_id: int) -> Response:
    found.require(Action.READ_ACCOUNT)
    return await _keyword_page(found, lease_id)


CHANGES = {
    "cancel": lambda ctx, p, i: lifecycle.cancel(ctx, p, i),
    "uncancel": lambda ctx, p, i: lifecycle.cancel(ctx, p, i, undo=True),
    "release": lambda ctx, p, i: leasing.release(ctx, p, i),
}


@router.post("/keywords/{lease_id}/{change}", name="keyword.change")
async def change(
    found: UserPage, form: UserForm, request: Request, lease_id: int, change: str
) -> Response:
    _may_lease(found)
    act = CHANGES.get(change)
    if act is None:
        raise ConsoleRefusal(404, found.t("There is no such keyword."))
    audit_hook.mark(request, found.principal)
    try:
        await act(found.gateway.ctx, found.principal, _id(lease_id))
    except NotFound as missing:
        raise ConsoleRefusal(404, found.t("There is no such keyword.")) from missing
    except AppError as refused:
        text = CHANGE_ERRORS.get(refused.code, "That change cannot be made now.")
        return await _keyword_page(found, lease_id, 409, found.t(text))
    audit_hook.note(request, target=f"lease_id:{lease_id}", change=change)
    return redirect(found, f"/console/keywords/{lease_id}")
