"""One request to the console: who is visiting, in which language, and the guards every
page uses (signed in, allowed, a form with its CSRF token).

Rules:
- The session is the `kodeord_session` cookie: HttpOnly, SameSite=Lax, Path=/console,
  Secure when the request came over https (or KODEORD_COOKIE_SECURE=1 behind a proxy
  that ends TLS). Its value is a random token; the database keeps only its hash.
- Every form carries a CSRF token in a hidden field `csrf`. Signed in, it is the
  session's own token (kept server-side with the session); before sign-in (the sign-in
  and password forms) it is the `kodeord_csrf` cookie's random value (double submit).
  A post without the right token is refused with 403 and nothing is done.
- Pages that need a user redirect an anonymous visitor to the sign-in page and back
  (`next`, which must be a path inside /console/: no open redirect).
- `Page.require(action)` asks domain/users.may; a customer user's pages read and change
  only its own customer's data (`Page.customer_id`), and a thing of another customer is
  "not found" (404), as in the API.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from kodeord.app.accounts.customers import Principal
from kodeord.app.users.ports import User
from kodeord.app.users.signin import Visit
from kodeord.domain.users import Action, Role, may
from kodeord.web.console.i18n import Texts, chosen
from kodeord.web.models import MAX_ID
from kodeord.wiring import Gateway

SESSION_COOKIE = "kodeord_session"
CSRF_COOKIE = "kodeord_csrf"
LANG_COOKIE = "kodeord_lang"
YEAR = 365 * 24 * 3600


class ConsoleRefusal(Exception):
    """A page answered with an error page (403 not allowed, 404 not found …)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class SignInNeeded(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass
class Page:
    request: Request
    gateway: Gateway
    texts: Texts
    visit: Visit | None
    csrf: str
    cookies: dict[str, tuple[str, int]] = field(default_factory=dict)  # name: (value, max_age)

    @property
    def user(self) -> User:
        if self.visit is None:
            raise SignInNeeded(self.request.url.path)
        return self.visit.user

    @property
    def is_provider(self) -> bool:
        return self.visit is not None and self.visit.user.role is Role.PROVIDER

    @property
    def customer_id(self) -> int | None:
        """The customer whose pages these are (None for a provider user)."""
        return self.user.customer_id

    @property
    def principal(self) -> Principal:
        """The user as the app's use cases know callers (the audit log names the user)."""
        return Principal(customer_id=self.user.customer_id, user_id=self.user.id)

    def may(self, action: Action) -> bool:
        return self.visit is not None and may(self.visit.user.role, action)

    def require(self, action: Action) -> None:
        if not self.may(action):
            raise ConsoleRefusal(403, self.texts.t("You may not do this."))

    def t(self, text: str, **values: object) -> str:
        return self.texts.t(text, **values)

    @property
    def secure(self) -> bool:
        forced = os.environ.get("KODEORD_COOKIE_SECURE", "") == "1"
        return forced or self.request.url.scheme == "https"

    @property
    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

    def language_link(self, language: str) -> str:
        """This page in `language`. A page shown after a form post has the post's address,
        which takes no GET: the link is then to the page the form was on (the same-origin
        Referer), else the overview."""
        if self.request.method == "GET":
            return f"?lang={language}"
        referer = urlsplit(self.request.headers.get("referer", ""))
        own = referer.netloc in ("", self.request.url.netloc)
        return f"{safe_next(referer.path if own else None)}?lang={language}"


def gateway_of(request: Request) -> Gateway:
    found: Gateway = request.app.state.gateway
    return found


async def page(request: Request) -> Page:
    gateway = gateway_of(request)
    visit = await gateway.signin.current(request.cookies.get(SESSION_COOKIE, ""))
    asked = request.query_params.get("lang")
    saved = visit.user.language if visit else None
    language = chosen(asked, saved, request.cookies.get(LANG_COOKIE))
    found = Page(request, gateway, Texts(language), visit, "")
    if asked == language and request.cookies.get(LANG_COOKIE) != language:
        found.cookies[LANG_COOKIE] = (language, YEAR)
    if visit is not None and asked == language and language != visit.user.language:
        await gateway.users.set_language(visit.user, language)
    found.csrf = visit.csrf_token if visit else anonymous_csrf(request, found)
    return found


def anonymous_csrf(request: Request, found: Page) -> str:
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) < 20:
        token = secrets.token_urlsafe(24)
        found.cookies[CSRF_COOKIE] = (token, 0)
    return token


async def signed_in(found: Annotated[Page, Depends(page)]) -> Page:
    if found.visit is None:
        raise SignInNeeded(found.request.url.path)
    return found


@dataclass
class Form:
    """A checked form post: its fields as typed (for re-showing them after an error)."""

    data: FormData

    def get(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def raw(self, name: str) -> str:
        value = self.data.get(name)
        return value if isinstance(value, str) else ""

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if isinstance(v, str) and k != "csrf"}


async def checked_form(request: Request, found: Page) -> Form:
    data = await request.form()
    sent = data.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), found.csrf.encode()):
        raise ConsoleRefusal(403, found.t("The form has expired. Reload the page and try again."))
    return Form(data)


async def form_of_visitor(request: Request, found: Annotated[Page, Depends(page)]) -> Form:
    return await checked_form(request, found)


async def form_of_user(request: Request, found: Annotated[Page, Depends(signed_in)]) -> Form:
    return await checked_form(request, found)


def stored_id(value: int | str) -> int | None:
    """`value` as an id that can name a stored thing (1 … 2^63-1), else None: an id
    typed into a URL or a form is "not found" when it is out of range, never an error."""
    if isinstance(value, str):
        if not value.isdigit():
            return None
        value = int(value)
    return value if 0 < value <= MAX_ID else None


def safe_next(path: str | None) -> str:
    """Where to go after sign-in: a path inside the console, never another site."""
    if not path or not path.startswith("/console/") or path.startswith("//") or "\\" in path:
        return "/console/"
    return path


def sign_in_url(next_path: str) -> str:
    return f"/console/sign-in?next={quote(safe_next(next_path))}"


VisitorPage = Annotated[Page, Depends(page)]
UserPage = Annotated[Page, Depends(signed_in)]
VisitorForm = Annotated[Form, Depends(form_of_visitor)]
UserForm = Annotated[Form, Depends(form_of_user)]
