"""Turning a page into a response: Jinja2 templates from the package, the cookies the
visit set, and the headers every console response carries.

Rules:
- Autoescaping is on for every template; nothing user-typed is marked safe.
- Content-Security-Policy allows scripts, styles and images from the gateway itself only
  (no inline script, no CDN); frames are refused (no clickjacking); pages are not cached
  (they show private data) and send no referrer to other sites.
- After a successful post, the answer is a 303 redirect (post/redirect/get), so a reload
  does not post again.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from kodeord.web.console.nav import entries_for
from kodeord.web.console.visit import SESSION_COOKIE, Page

ENV = Environment(
    loader=PackageLoader("kodeord.web.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def finish(found: Page, response: Response) -> Response:
    for name, (value, max_age) in found.cookies.items():
        response.set_cookie(
            name,
            value,
            max_age=max_age or None,
            path="/console" if name == SESSION_COOKIE else "/",
            httponly=True,
            samesite="lax",
            secure=found.secure,
        )
    response.headers.update(HEADERS)
    return response


def render(found: Page, template: str, status: int = 200, **values: Any) -> Response:
    html = ENV.get_template(template).render(
        page=found,
        t=found.texts.t,
        texts=found.texts,
        nav=entries_for(found),
        **values,
    )
    return finish(found, HTMLResponse(html, status_code=status))


def redirect(found: Page, url: str) -> Response:
    return finish(found, RedirectResponse(url, status_code=303))


def end_session(found: Page, response: Response) -> Response:
    response.delete_cookie(SESSION_COOKIE, path="/console", secure=found.secure, httponly=True)
    return response
