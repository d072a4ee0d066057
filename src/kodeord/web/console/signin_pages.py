"""Sign-in, sign-out, "forgot password", and the one-time links (invitation, reset).

A failed sign-in shows one message for a wrong address and a wrong password alike, keeps
the typed address (never the password) and moves focus to the message; a lockout says
until when, in Oslo time. Choosing a password shows the broken rule next to the field.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from kodeord.app.errors import AppError
from kodeord.app.users.signin import Locked
from kodeord.domain.users import MIN_PASSWORD, LinkPurpose
from kodeord.web.console.render import end_session, redirect, render
from kodeord.web.console.visit import (
    SESSION_COOKIE,
    Page,
    UserForm,
    UserPage,
    VisitorForm,
    VisitorPage,
    safe_next,
)

router = APIRouter(prefix="/console")

PASSWORD_ERRORS = {
    "password_too_short": "Use at least {min} characters.",
    "password_too_long": "Use at most 200 characters.",
    "password_one_character": "Use more than one kind of character.",
    "password_is_email": "The password may not be your e-mail address.",
}


def client_of(found: Page) -> str:
    return found.request.client.host if found.request.client else "unknown"


@router.get("/sign-in")
async def sign_in_form(found: VisitorPage, next: str = "") -> Response:
    if found.visit is not None:
        return redirect(found, safe_next(next))
    return render(found, "sign_in.html", next=safe_next(next), email="", error=None)


@router.post("/sign-in")
async def sign_in(found: VisitorPage, form: VisitorForm) -> Response:
    email, next_path = form.get("email"), safe_next(form.get("next"))
    try:
        visit = await found.gateway.signin.sign_in(email, form.raw("password"), client_of(found))
    except Locked as locked:
        until = found.texts.when(locked.until)
        error = found.t("Too many failed attempts. Try again after {time}.", time=until)
        return render(found, "sign_in.html", 429, next=next_path, email=email, error=error)
    except AppError:
        error = found.t("Wrong e-mail address or password.")
        return render(found, "sign_in.html", 401, next=next_path, email=email, error=error)
    found.cookies[SESSION_COOKIE] = (visit.session_token, 0)
    if "lang" in found.cookies or found.request.cookies.get("kodeord_lang"):
        await found.gateway.users.set_language(visit.user, found.texts.language)
    return redirect(found, next_path)


@router.post("/sign-out")
async def sign_out(found: UserPage, form: UserForm) -> Response:
    assert found.visit is not None
    await found.gateway.signin.sign_out(found.visit, client_of(found))
    return end_session(found, redirect(found, "/console/sign-in"))


@router.get("/forgot")
async def forgot_form(found: VisitorPage) -> Response:
    can_mail = found.gateway.users.can_mail
    return render(found, "forgot.html", email="", sent=False, can_mail=can_mail)


@router.post("/forgot")
async def forgot(found: VisitorPage, form: VisitorForm) -> Response:
    email = form.get("email")
    await found.gateway.users.request_reset(email, found.base_url)
    can_mail = found.gateway.users.can_mail
    return render(found, "forgot.html", email=email, sent=True, can_mail=can_mail)


async def _link_page(found: Page, token: str, purpose: LinkPurpose) -> Response:
    try:
        user = await found.gateway.users.open_link(token, purpose)
    except AppError:
        return render(found, "choose_password.html", 404, user=None, purpose=purpose, error=None)
    return render(found, "choose_password.html", user=user, purpose=purpose, error=None)


async def _use_link(found: Page, form: VisitorForm, token: str, purpose: LinkPurpose) -> Response:
    password, repeated = form.raw("password"), form.raw("repeat")
    users = found.gateway.users
    try:
        user = await users.open_link(token, purpose)
    except AppError:
        return render(found, "choose_password.html", 404, user=None, purpose=purpose, error=None)
    if password != repeated:
        error = {"repeat": found.t("The two passwords differ.")}
        return render(found, "choose_password.html", 422, user=user, purpose=purpose, error=error)
    try:
        await users.use_link(token, purpose, password)
    except AppError as refused:
        text = PASSWORD_ERRORS.get(refused.code, "Choose another password.")
        error = {"password": found.t(text, min=MIN_PASSWORD)}
        return render(found, "choose_password.html", 422, user=user, purpose=purpose, error=error)
    visit = await found.gateway.signin.sign_in(user.email, password, client_of(found))
    found.cookies[SESSION_COOKIE] = (visit.session_token, 0)
    return redirect(found, "/console/")


@router.get("/invite/{token}")
async def invitation_form(found: VisitorPage, token: str) -> Response:
    return await _link_page(found, token, LinkPurpose.INVITE)


@router.post("/invite/{token}")
async def accept_invitation(found: VisitorPage, form: VisitorForm, token: str) -> Response:
    return await _use_link(found, form, token, LinkPurpose.INVITE)


@router.get("/reset/{token}")
async def reset_form(found: VisitorPage, token: str) -> Response:
    return await _link_page(found, token, LinkPurpose.RESET)


@router.post("/reset/{token}")
async def reset(found: VisitorPage, form: VisitorForm, token: str) -> Response:
    return await _use_link(found, form, token, LinkPurpose.RESET)
