"""The developer page: what a customer's programmers need to connect to the gateway.

- API keys: an owner makes a key with a name (the key itself is shown in that one
  answer and never again: only its hash is stored), sees each key's name, when it was
  made and last used, and revokes it (refused from the next request on).
- SMPP accounts: an owner makes one (its system_id typed or generated; its password
  typed, or generated and shown once), sees them, and removes one (revoked: its open
  binds are closed, new binds refused).

The page calls the same use cases as the API (app/accounts/customers.py,
app/binds/accounts.py) with the user as the caller, so another customer's key or
account is "not found"; every change is audited as the API's are (the user is the actor).

Rules: the page and its forms are the owner's (Action.MANAGE_DEVELOPER); a member gets
403 and has no menu entry. A secret is put only into the page that shows it once —
never into a URL, a redirect, the audit log or the log.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kodeord.app.accounts import customers as accounts
from kodeord.app.binds import customer_smpp
from kodeord.app.errors import AppError, NotFound
from kodeord.domain.users import Action
from kodeord.web import audit_hook
from kodeord.web.console.render import redirect, render
from kodeord.web.console.visit import ConsoleRefusal, Form, Page, UserForm, UserPage

router = APIRouter(prefix="/console")

PAGE = "/console/developer"
ERRORS = {
    "key_name_missing": "Give the key a name, e.g. webshop production.",
    "invalid_key_name": "A name is at most 100 characters.",
    "invalid_system_id": "Use at most 15 letters, digits, dots, dashes or underscores.",
    "system_id_taken": "That system_id is taken. Choose another or leave it empty.",
    "invalid_password": "Use 6 to 8 letters, digits or signs, without spaces.",
}
FIELD_OF = {"key_name_missing": "key_name", "invalid_key_name": "key_name"}
FIELD_OF |= {"invalid_system_id": "system_id", "system_id_taken": "system_id"}
FIELD_OF |= {"invalid_password": "password"}
TYPED = ("key_name", "system_id")  # fields re-shown after an error (a password never is)


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
    ctx = found.gateway.ctx
    return render(
        found,
        "developer/developer.html",
        status,
        keys=await accounts.list_keys(ctx, found.principal),
        smpp_accounts=await customer_smpp.list_own_accounts(ctx, found.principal),
        typed={name: "" for name in TYPED} | shown.pop("typed", {}),
        errors=shown.pop("errors", {}),
        **shown,
    )


async def _refused(found: Page, form: Form, code: str) -> Response:
    field = FIELD_OF.get(code, "key_name")
    text = found.t(ERRORS.get(code, "That cannot be used."))
    typed = {name: form.get(name) for name in TYPED}
    return await _page(found, 422, typed=typed, errors={field: text})


@router.get("/developer")
async def developer(found: UserPage) -> Response:
    _customer(found)
    return await _page(found)


# --- API keys ----------------------------------------------------------------------------


@router.post("/developer/keys", name="api_key.create")
async def create_key(found: UserPage, form: UserForm, request: Request) -> Response:
    _changing(found, request)
    name = form.get("key_name")
    if not name:
        return await _refused(found, form, "key_name_missing")
    try:
        made = await accounts.create_key(found.gateway.ctx, found.principal, name)
    except AppError as refused:
        return await _refused(found, form, refused.code)
    audit_hook.note(request, target=f"api_key:{made['id']}")
    return await _page(found, 201, new_key=made)


@router.post("/developer/keys/{key_id}/revoke", name="api_key.revoke")
async def revoke_key(found: UserPage, form: UserForm, request: Request, key_id: int) -> Response:
    _changing(found, request)
    try:
        await accounts.revoke_key(found.gateway.ctx, found.principal, key_id, None)
    except NotFound:
        raise _not_found(found) from None
    audit_hook.note(request, target=f"api_key:{key_id}")
    return redirect(found, f"{PAGE}#keys")


# --- SMPP accounts -------------------------------------------------------------------------


@router.post("/developer/smpp", name="create_smpp_account")
async def create_smpp_account(found: UserPage, form: UserForm, request: Request) -> Response:
    _changing(found, request)
    system_id, password = form.get("system_id") or None, form.raw("password") or None
    try:
        made = await customer_smpp.create_own_account(
            found.gateway.ctx, found.principal, system_id, password
        )
    except AppError as refused:
        return await _refused(found, form, refused.code)
    audit_hook.note(request, target=f"smpp_account:{made['system_id']}")
    return await _page(found, 201, new_account=made, password_typed=password is not None)


@router.post("/developer/smpp/{system_id}/remove", name="revoke_smpp_account")
async def remove_smpp_account(
    found: UserPage, form: UserForm, request: Request, system_id: str
) -> Response:
    _changing(found, request)
    gateway = found.gateway
    try:
        await customer_smpp.revoke_own_account(
            gateway.ctx, found.principal, system_id, gateway.customer_smpp
        )
    except NotFound:
        raise _not_found(found) from None
    audit_hook.note(request, target=f"smpp_account:{system_id}")
    return redirect(found, f"{PAGE}#smpp")
