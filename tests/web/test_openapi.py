"""The OpenAPI document and the documentation pages.

Every route declares what it answers (a response model, or a body-less 204 / a non-JSON
body declared as such); every authenticated route carries the bearer scheme (the lock in
/docs) and public ones do not; /docs and /redoc load only the gateway's own assets, which
answer with the packaged bytes and the right content type. Real HTTP on 127.0.0.1."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import Response
from fastapi.routing import APIRoute

from kodeord.web import docs
from kodeord.web.app import ROUTERS
from tests.web.test_tenant_isolation import ROUTES, Who
from tests.web.world import World

API_ROUTES = [route for router in ROUTERS for route in router.routes]
# (URL in the pages, file under web/static/, the content type it must answer with)
ASSETS = [
    (docs.SWAGGER_JS, "swagger-ui/swagger-ui-bundle.js", "javascript"),
    (docs.SWAGGER_CSS, "swagger-ui/swagger-ui.css", "text/css"),
    (docs.FAVICON, "swagger-ui/favicon-32x32.png", "image/png"),
    (docs.REDOC_JS, "redoc/redoc.standalone.js", "javascript"),
]


def _declares_its_answer(route: APIRoute) -> bool:
    if route.response_model is not None:
        return True
    if route.response_class is not Response:  # a JSON answer needs its model
        return False
    declared = {str(code) for code in route.responses}
    return route.status_code == 204 or any(code.startswith("2") for code in declared)


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: f"{sorted(r.methods)} {r.path}")
def test_every_route_declares_what_it_answers(route: APIRoute) -> None:
    assert isinstance(route, APIRoute)
    assert _declares_its_answer(route)


def test_a_route_without_a_model_is_refused_by_the_check() -> None:
    bare = APIRoute("/x", lambda: {}, response_model=None)
    body_less = APIRoute("/y", lambda: None, status_code=204, response_class=Response)
    assert (_declares_its_answer(bare), _declares_its_answer(body_less)) == (False, True)


def test_the_document_has_the_bearer_scheme_on_every_authenticated_route(world: World) -> None:
    document = world.api.client().get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "the provider's admin token or a customer's API key (`ko_…`)",
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            public = ROUTES[(method.upper(), path)].who is Who.PUBLIC
            expected = None if public else [{"bearer": []}]
            assert operation.get("security") == expected, (method, path)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_name_only_local_urls(world: World, page: str) -> None:
    answer = world.api.client().get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href|url|spec-url)\s*[=:]\s*["']([^"']+)["']""", answer.text)
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls), urls
    assert "http://" not in answer.text and "https://" not in answer.text
    assert "/openapi.json" in urls


@pytest.mark.parametrize(("url", "file", "content_type"), ASSETS)
def test_the_assets_answer_from_the_package(
    world: World, url: str, file: str, content_type: str
) -> None:
    answer = world.api.client().get(url)
    assert answer.status_code == 200
    assert content_type in answer.headers["content-type"]
    assert answer.content == (Path(docs.STATIC_DIR) / file).read_bytes()


def test_an_unknown_asset_is_a_404_in_our_shape(world: World) -> None:
    answer = world.api.client().get("/static/swagger-ui/nothing.js")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
