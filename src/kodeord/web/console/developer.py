"""The developer page: what a customer's programmers need to connect to the gateway.

API keys: an owner makes a key with a name (the key itself is shown in that one answer
and never again: only its hash is stored), sees each key's name, when it was made and
last used, and revokes it (refused from the next request on). The page calls the same
use cases as `/v1/api-keys` (app/accounts/customers.py) with the user as the caller, so
another customer's key is "not found"; every change is audited as the API's are.

Rules: the page and its forms are the owner's (Action.MANAGE_DEVELOPER); a member gets
403 and has no menu entry. A secret is put only into the page that shows it once —
never into a URL, a redirect or the log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kodeord.app.accounts import customers as accounts
from kodeord.app.errors import AppError, NotFound
from kodeord.domain.users import Action
from kodeord.web import audit_hook
from kodeord.web.console.render import redirect, render
from kodeord.web.console.visit import ConsoleRefusal, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

PAGE = "/console/developer"
KEY_ERRORS = {
    "key_name_missing": "Give the key a name, e.g. webshop production.",
    "invalid_key_name": "A name is at most 100 characters.",
}


def _customer(found: Page) -> int:
    found.require(Action.MANAGE_DEVELOPER)
    if found.customer_id is None:
        raise ConsoleRefusal(404, found.t("The developer page belongs to a customer."))
    return found.customer_id


def _changing(found: Page, request: Request) -> int:
    """The owner's customer; the change this request makes is audited as the API's are."""
    customer_id = _customer(found)
    audit_hook.mark(request, found.principal)
    return customer_id


def _not_found(found: Page) -> ConsoleRefusal:
    return ConsoleRefusal(404, found.t("There is no such thing here."))


async def _page(found: Page, status: int = 200, **shown: Any) -> Response:
    keys = await accounts.list_keys(found.gateway.ctx, found.principal)
    typed = {"key_name": "", **shown.pop("typed", {})}
    return render(found, "developer/developer.html", status, keys=keys, typed=typed, **shown)


@router.get("/developer")
async def developer(found: UserPage) -> Response:
    _customer(found)
    return await _page(found)


@router.post("/developer/keys", name="api_key.create")
async def create_key(found: UserPage, form: UserForm, request: Request) -> Response:
    _changing(found, request)
    name = form.get("key_name")
    if not name:
        return await _key_refused(found, name, "key_name_missing")
    try:
        made = await accounts.create_key(found.gateway.ctx, found.principal, name)
    except AppError as refused:
        return await _key_refused(found, name, refused.code)
    audit_hook.note(request, target=f"api_key:{made['id']}")
    return await _page(found, 201, new_key=made)


async def _key_refused(found: Page, name: str, code: str) -> Response:
    text = found.t(KEY_ERRORS.get(code, "That name cannot be used."))
    return await _page(found, 422, typed={"key_name": name}, key_error=text)


@router.post("/developer/keys/{key_id}/revoke", name="api_key.revoke")
async def revoke_key(found: UserPage, form: UserForm, request: Request, key_id: int) -> Response:
    _changing(found, request)
    try:
        await accounts.revoke_key(found.gateway.ctx, found.principal, key_id, None)
    except NotFound:
        raise _not_found(found) from None
    audit_hook.note(request, target=f"api_key:{key_id}")
    return redirect(found, f"{PAGE}#keys")
