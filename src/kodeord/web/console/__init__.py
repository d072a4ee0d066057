"""SMS-Tjenesten, the web console: server-rendered pages at /console/ over the same app
services as the JSON API (docs/console.md).

Each area is one module with its `router` (listed in AREAS), its templates under
templates/, its texts in locale/nb/<area>.json and its menu entry in nav.py. The pages'
scripts and styles are files under web/static/console/, served from the package (no CDN,
no build step). `/` leads to the console; the API stays at /v1.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from kodeord.web.console import (
    dashboard,
    developer,
    inbox,
    keywords,
    log,
    phone,
    provider,
    registry,
    routes,
    send,
    signin_pages,
    team,
)
from kodeord.web.console.render import render
from kodeord.web.console.visit import ConsoleRefusal, SignInNeeded, page, sign_in_url

# one line per area (several people add theirs)
AREAS = (
    signin_pages.router,
    dashboard.router,
    inbox.router,
    keywords.router,
    log.router,
    team.router,
    phone.router,
    provider.router,
    routes.router,
    send.router,
    developer.router,
    registry.router,
)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConsoleRefusal)
    found = await page(request)
    return render(found, "error.html", exc.status, message=exc.message, code=exc.status)


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInNeeded)
    return RedirectResponse(sign_in_url(exc.next_path), status_code=303)


def install_console(app: FastAPI) -> None:
    for router in AREAS:
        app.include_router(router, include_in_schema=False)
    app.add_exception_handler(ConsoleRefusal, _refused)
    app.add_exception_handler(SignInNeeded, _to_sign_in)

    @app.get("/", include_in_schema=False)
    async def _home() -> Response:
        return RedirectResponse("/console/", status_code=307)
