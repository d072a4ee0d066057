"""Tenant isolation, route by route, for every operation in the OpenAPI document:
no token → 401; tenant B's key on tenant A's things → 403 or 404 and never A's data;
A's key on its own → never 401/403 on the routes customers use; the admin token → never
401/403 on the routes the admin uses. A route the table below does not know fails
`test_every_route_is_in_the_table`: add it here, saying who may call it.

The phases run in order (pytest runs a test function's cases before the next function):
B's attempts happen while A's things all exist; A's and the admin's calls come after
(they may change or end A's things, so they check only that the caller was let in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import httpx
import pytest

from tests.web.world import MARKERS, NUMBER, World


class Who(Enum):
    ADMIN = "admin only"
    CUSTOMER = "customers only (the admin gets its own 4xx)"
    ANY = "customers (their own things) and the admin"
    PUBLIC = "no token needed"


Make = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    who: Who
    body: Make | None = None
    query: Make | None = None


def _later() -> str:
    return (datetime.now(UTC) + timedelta(days=2)).isoformat()


def _mt(_: World) -> dict[str, Any]:
    return {"from": NUMBER, "to": "+4791234568", "text": "matrix", "send_at": _later()}


def _batch(_: World) -> dict[str, Any]:
    return {"from": NUMBER, "to": ["+4791234568"], "text": "matrix", "send_at": _later()}


def _body(value: dict[str, Any]) -> Make:
    return lambda _world: value


A, C, P, Y = Who.ADMIN, Who.CUSTOMER, Who.PUBLIC, Who.ANY
# (method, path) → who may call it and a body that is valid (so the answer is about who asks).
ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/v1/customers"): Route(A, _body({"name": "Matrix AS"})),
    ("GET", "/v1/customers"): Route(A),
    ("POST", "/v1/customers/{customer_id}/suspend"): Route(A),
    ("POST", "/v1/customers/{customer_id}/resume"): Route(A),
    ("POST", "/v1/numbers"): Route(A, _body({"number": "2078", "mode": "shared"})),
    ("GET", "/v1/numbers"): Route(Y),
    ("GET", "/v1/reserved-words"): Route(Y),
    ("POST", "/v1/reserved-words"): Route(A, _body({"word": "MATRIXORD"})),
    ("DELETE", "/v1/reserved-words/{word}"): Route(A),
    ("GET", "/v1/keywords/availability"): Route(
        Y, query=lambda w: {"number": NUMBER, "keyword": "NYTTORD"}
    ),
    ("POST", "/v1/keywords"): Route(Y, _body({"number": NUMBER, "keyword": "MATRIXORD"})),
    ("GET", "/v1/keywords"): Route(Y),
    ("GET", "/v1/keywords/{lease_id}"): Route(Y),
    ("DELETE", "/v1/keywords/{lease_id}"): Route(Y),
    ("PUT", "/v1/keywords/{lease_id}/route"): Route(Y, _body({"type": "inbox"})),
    ("POST", "/v1/customers/{customer_id}/api-keys"): Route(A),
    ("GET", "/v1/customers/{customer_id}/api-keys"): Route(A),
    ("PATCH", "/v1/customers/{customer_id}/api-keys/{key_id}"): Route(A, _body({"name": "m"})),
    ("DELETE", "/v1/customers/{customer_id}/api-keys/{key_id}"): Route(A),
    ("POST", "/v1/customers/{customer_id}/api-keys/{key_id}/rotate"): Route(A),
    ("GET", "/v1/api-keys"): Route(C),
    ("POST", "/v1/api-keys"): Route(C, _body({"name": "matrix"})),
    ("PATCH", "/v1/api-keys/{key_id}"): Route(C, _body({"name": "matrix"})),
    ("DELETE", "/v1/api-keys/{key_id}"): Route(C),
    ("POST", "/v1/api-keys/{key_id}/rotate"): Route(C),
    ("GET", "/v1/admin/audit-log"): Route(A),
    ("POST", "/v1/messages"): Route(C, _mt),
    ("GET", "/v1/messages"): Route(Y),
    ("POST", "/v1/messages/batch"): Route(C, _batch),
    ("POST", "/v1/messages/{message_id}/cancel"): Route(Y),
    ("GET", "/v1/customers/{customer_id}/limits"): Route(A),
    ("PUT", "/v1/customers/{customer_id}/limits"): Route(A, _body({"send_burst": 10})),
    ("POST", "/v1/keywords/{lease_id}/cancel"): Route(Y),
    ("POST", "/v1/keywords/{lease_id}/uncancel"): Route(Y),
    ("GET", "/v1/keywords/{lease_id}/history"): Route(Y),
    ("POST", "/v1/keywords/{lease_id}/suspend"): Route(A),
    ("POST", "/v1/keywords/{lease_id}/resume"): Route(A),
    ("POST", "/v1/keywords/{lease_id}/transfer"): Route(
        A, lambda w: {"customer_id": w.b.customer_id}
    ),
    ("POST", "/v1/keywords/{lease_id}/force-release"): Route(A),
    ("GET", "/v1/brands"): Route(A),
    ("POST", "/v1/brands"): Route(A, _body({"name": "MATRIXBRAND"})),
    ("DELETE", "/v1/brands/{brand_id}"): Route(A),
    ("POST", "/v1/keyword-claims"): Route(
        C, _body({"number": NUMBER, "keyword": "BRAVOTAXI", "reason": "matrix"})
    ),
    ("GET", "/v1/keyword-claims"): Route(Y),
    ("POST", "/v1/keyword-claims/{claim_id}/decision"): Route(A, _body({"decision": "reject"})),
    ("POST", "/v1/customers/{customer_id}/smpp-accounts"): Route(A),
    ("GET", "/v1/customers/{customer_id}/smpp-accounts"): Route(A),
    ("DELETE", "/v1/smpp-accounts/{system_id}"): Route(A),
    ("POST", "/v1/operator-links"): Route(
        A,
        _body(
            {"name": "matrix", "host": "127.0.0.1", "port": 9, "system_id": "m", "password": "m"}
        ),
    ),
    ("GET", "/v1/operator-links"): Route(A),
    ("DELETE", "/v1/operator-links/{name}"): Route(A),
    ("POST", "/v1/signing-secret"): Route(C),
    ("PUT", "/v1/settings"): Route(C, _body({"session_window_minutes": 60})),
    ("GET", "/v1/numbers/{number}/settings"): Route(A),
    ("PUT", "/v1/numbers/{number}/settings"): Route(A, _body({"help_text": "matrix"})),
    ("GET", "/v1/numbers/{number}/texts"): Route(A),
    ("PUT", "/v1/numbers/{number}/texts/{key}/{lang}"): Route(A, _body({"text": "matrix"})),
    ("DELETE", "/v1/numbers/{number}/texts/{key}/{lang}"): Route(A),
    ("GET", "/v1/messages/{message_id}"): Route(Y),
    ("GET", "/v1/admin/dead-letters"): Route(A),
    ("POST", "/v1/admin/dead-letters/replay"): Route(A, _body({})),
    ("GET", "/v1/admin/operator-inbox"): Route(A),
    ("GET", "/v1/admin/opt-outs"): Route(A, query=lambda w: {"phone": "+4791234567"}),
    ("GET", "/v1/admin/opt-outs/export"): Route(A),
    ("DELETE", "/v1/admin/opt-outs/{number}/{phone}"): Route(A),
    ("POST", "/v1/admin/operator-inbox/{message_id}/hand-over"): Route(
        A, lambda w: {"customer_id": w.a.customer_id}
    ),
    ("GET", "/healthz"): Route(P),
}

# Path parameters name tenant A's things (or the provider's, which only the admin reaches).
TENANT_PARAMS = {"lease_id", "customer_id", "key_id", "message_id", "system_id", "claim_id"}


def _params(world: World) -> dict[str, Any]:
    return {
        "lease_id": world.a.lease_id,
        "customer_id": world.a.customer_id,
        "key_id": world.a.spare_key_id,
        "message_id": world.a.message_id,
        "system_id": world.a.system_id,
        "claim_id": world.claim_id,
        "brand_id": world.brand_id,
        "word": world.reserved_word,
        "name": "matrix",
        "number": NUMBER,
        "phone": "+4791234567",
        "key": "stop_confirmed",
        "lang": "en",
    }


def _names_a(path: str) -> bool:
    return any(f"{{{name}}}" in path for name in TENANT_PARAMS)


def _call(client: httpx.Client, world: World, key: tuple[str, str]) -> httpx.Response:
    method, path = key
    route = ROUTES[key]
    url = path.format(**{k: v for k, v in _params(world).items() if f"{{{k}}}" in path})
    body = route.body(world) if route.body else None
    query = route.query(world) if route.query else None
    return client.request(method, url, json=body, params=query)


def _operations(world: World) -> set[tuple[str, str]]:
    document = world.api.client().get("/openapi.json").json()
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


KEYS = list(ROUTES)
IDS = [f"{method} {path}" for method, path in KEYS]


def test_every_route_is_in_the_table(world: World) -> None:
    found = _operations(world)
    unknown = sorted(found - set(ROUTES))
    assert not unknown, f"add these routes to ROUTES (who may call them): {unknown}"
    assert not sorted(set(ROUTES) - found), "ROUTES names routes the API no longer has"
    names = {part[1:-1] for _, path in found for part in path.split("/") if part[:1] == "{"}
    assert names <= set(_params(world)), f"no value for {names - set(_params(world))}"


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_no_token_is_401(world: World, key: tuple[str, str]) -> None:
    response = _call(world.api.client(), world, key)
    if ROUTES[key].who is Who.PUBLIC:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "missing_token"


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_the_wrong_tenant_gets_nothing_of_a(world: World, key: tuple[str, str]) -> None:
    route = ROUTES[key]
    response = _call(world.b.client, world, key)
    if route.who is Who.ADMIN:
        assert response.status_code == 403, response.text
    elif _names_a(key[1]):
        assert response.status_code in (403, 404), response.text
    leaked = [marker for marker in MARKERS if marker in response.text]
    assert not leaked, f"B saw A's {leaked}: {response.text}"


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_the_own_tenant_is_let_in(world: World, key: tuple[str, str]) -> None:
    response = _call(world.a.client, world, key)
    if ROUTES[key].who is Who.ADMIN:
        assert response.status_code == 403, response.text
    else:
        assert response.status_code not in (401, 403), response.text


@pytest.mark.parametrize("key", KEYS, ids=IDS)
def test_the_admin_is_let_in(world: World, key: tuple[str, str]) -> None:
    response = _call(world.admin, world, key)
    if ROUTES[key].who is Who.CUSTOMER:
        assert 400 <= response.status_code < 500 and response.status_code != 401, response.text
    else:
        assert response.status_code not in (401, 403), response.text
