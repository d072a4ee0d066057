"""The API documentation pages, served offline: `/docs` (Swagger UI) and `/redoc`
(ReDoc) load their scripts, styles and icon from the package (web/static/, see its
README for versions and licences), never from a CDN, and ReDoc loads no web fonts.

The pages and the assets are public (like /openapi.json) and not in the OpenAPI
document; the Authorize button comes from the bearer scheme in web/deps.py."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"
SWAGGER_JS = f"{STATIC_URL}/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{STATIC_URL}/swagger-ui/swagger-ui.css"
FAVICON = f"{STATIC_URL}/swagger-ui/favicon-32x32.png"
REDOC_JS = f"{STATIC_URL}/redoc/redoc.standalone.js"


def install_docs(app: FastAPI) -> None:
    """Add /docs, /redoc and the assets they load (the app is made with docs_url=None
    and redoc_url=None, so FastAPI's CDN-loading pages are not there)."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} API"
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=SWAGGER_JS,
            swagger_css_url=SWAGGER_CSS,
            swagger_favicon_url=FAVICON,
        )

    @app.get("/redoc", include_in_schema=False, response_class=HTMLResponse)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=REDOC_JS,
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        )
