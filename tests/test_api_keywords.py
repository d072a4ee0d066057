"""The HTTP API as a new user meets it, over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import ApiServer


def _setup(api: ApiServer) -> tuple[httpx.Client, httpx.Client, httpx.Client, list[int]]:
    admin = api.admin()
    ids = []
    for name in ("Pizzeria Napoli AS", "Taxi Vest AS"):
        created = admin.post("/v1/customers", json={"name": name})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    shared = {"number": "2077", "mode": "shared", "keyword_fee_ore": 1000}
    assert admin.post("/v1/numbers", json=shared).status_code == 201
    dedicated = {
        "number": "1963",
        "mode": "dedicated",
        "owner_customer_id": ids[1],
        "premium": True,
        "monthly_fee_ore": 850000,
        "setup_fee_ore": 1000000,
    }
    assert admin.post("/v1/numbers", json=dedicated).status_code == 201
    clients = []
    for customer_id in ids:
        key = admin.post(f"/v1/customers/{customer_id}/api-keys")
        assert key.status_code == 201
        clients.append(api.client(key.json()["key"]))
    return admin, clients[0], clients[1], ids


def _codes(body: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in body["reasons"]]


def test_new_user_walkthrough(api: ApiServer) -> None:
    _admin, first, second, _ = _setup(api)
    pizza = first.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"})
    assert pizza.status_code == 201, pizza.text
    assert pizza.json()["keyword"] == "PIZZA" and pizza.json()["monthly_fee_ore"] == 1000
    blabaer = first.post("/v1/keywords", json={"number": "2077", "keyword": "Blåbær"})
    assert blabaer.status_code == 201 and blabaer.json()["keyword"] == "BLÅBÆR"

    expectations = {
        "pizza": "taken",
        " Pizza!": "taken",
        "PIZZA": "taken",
        "BLAABAER": "taken",
        "stopp": "reserved",
    }
    for word, code in expectations.items():
        check = second.get("/v1/keywords/availability", params={"number": "2077", "keyword": word})
        assert check.status_code == 200
        assert check.json()["available"] is False and code in _codes(check.json()), word
        refused = second.post("/v1/keywords", json={"number": "2077", "keyword": word})
        assert refused.status_code == 409, word
        assert code in [r["code"] for r in refused.json()["error"]["reasons"]]

    on_dedicated = first.post("/v1/keywords", json={"number": "1963", "keyword": "SUSHI"})
    assert on_dedicated.status_code == 409
    assert on_dedicated.json()["error"]["reasons"][0]["code"] == "dedicated_number"
    assert (
        second.post("/v1/keywords", json={"number": "1963", "keyword": "TAXI"}).status_code == 201
    )

    lease_id = pizza.json()["id"]
    assert second.get(f"/v1/keywords/{lease_id}").status_code == 404
    assert second.delete(f"/v1/keywords/{lease_id}").status_code == 404
    route = {"type": "webhook", "url": "https://evil.example/"}
    assert second.put(f"/v1/keywords/{lease_id}/route", json=route).status_code == 404

    released = first.delete(f"/v1/keywords/{lease_id}")
    assert released.status_code == 200 and released.json()["status"] == "released"
    # released keywords rest in quarantine: only the last holder may take them back
    again = second.get("/v1/keywords/availability", params={"number": "2077", "keyword": "pizza"})
    assert again.json()["available"] is False
    assert [r["code"] for r in again.json()["reasons"]] == ["quarantined"]
    back = first.get("/v1/keywords/availability", params={"number": "2077", "keyword": "pizza"})
    assert back.json() == {
        "available": True,
        "keyword": "PIZZA",
        "reasons": [],
        "warnings": [],
        "suggestions": [],
        "monthly_fee_ore": 1000,
    }
    assert (
        first.post("/v1/keywords", json={"number": "2077", "keyword": "pizza"}).status_code == 201
    )


def test_lists_are_per_customer(api: ApiServer) -> None:
    admin, first, second, ids = _setup(api)
    first.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA", "aliases": ["PIZZAS"]})
    second.post("/v1/keywords", json={"number": "1963", "keyword": "TAXI"})
    assert [k["keyword"] for k in first.get("/v1/keywords").json()] == ["PIZZA"]
    assert first.get("/v1/keywords").json()[0]["aliases"] == ["PIZZAS"]
    assert [k["keyword"] for k in second.get("/v1/keywords").json()] == ["TAXI"]
    assert len(admin.get("/v1/keywords").json()) == 2
    assert [n["number"] for n in first.get("/v1/numbers").json()] == ["2077"]
    assert [n["number"] for n in second.get("/v1/numbers").json()] == ["1963", "2077"]
    assert [n["number"] for n in admin.get("/v1/numbers").json()] == ["1963", "2077"]
    assert [c["id"] for c in admin.get("/v1/customers").json()] == ids
    assert first.get("/v1/customers").status_code == 403


def test_alias_is_taken_like_a_keyword(api: ApiServer) -> None:
    _, first, second, _ = _setup(api)
    body = {"number": "2077", "keyword": "PIZZA", "aliases": ["PIZZABUD"]}
    assert first.post("/v1/keywords", json=body).status_code == 201
    check = second.get(
        "/v1/keywords/availability", params={"number": "2077", "keyword": "pizzabud"}
    )
    assert _codes(check.json()) == ["taken"]
    clash = second.post(
        "/v1/keywords", json={"number": "2077", "keyword": "KEBAB", "aliases": ["Pizzabud"]}
    )
    assert clash.status_code == 409


def test_routes(api: ApiServer) -> None:
    _, first, _, _ = _setup(api)
    lease = first.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"}).json()
    assert lease["route"] == {"type": "inbox"}
    url = f"/v1/keywords/{lease['id']}/route"
    for route, stored in [
        # a public address: a name would be looked up (.example never resolves)
        ({"type": "webhook", "url": "https://93.184.215.14/sms"}, None),
        ({"type": "email", "to": "ordre@pizza.example"}, None),
        ({"type": "sms", "to": "41234567"}, {"type": "sms", "to": "+4741234567"}),
        ({"type": "smpp"}, None),
        ({"type": "inbox"}, None),
    ]:
        response = first.put(url, json=route)
        assert response.status_code == 200, response.text
        assert response.json()["route"] == (stored or route)
        assert first.get(f"/v1/keywords/{lease['id']}").json()["route"] == (stored or route)
    bad = first.put(url, json={"type": "webhook", "url": "ftp://x"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_route"


def test_a_webhook_route_before_the_signing_secret_is_set_with_a_warning(
    api: ApiServer,
) -> None:
    """A webhook route set before the customer has a signing secret is taken (a client
    may create the secret next), with a warning naming the call that fixes it; once the
    secret exists, and for routes that need none, there is no warning."""
    admin, first, _, ids = _setup(api)
    lease = first.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"}).json()
    url = f"/v1/keywords/{lease['id']}/route"
    webhook = {"type": "webhook", "url": "https://93.184.215.14/sms"}
    rows: list[tuple[httpx.Client, dict[str, str], list[str], bool]] = [
        # (who, route, warning codes, create the signing secret after this row)
        (first, webhook, ["no_signing_secret"], False),
        (admin, webhook, ["no_signing_secret"], False),  # the holder's secret counts
        (first, {"type": "inbox"}, [], True),
        (first, webhook, [], False),
        (admin, webhook, [], False),
    ]
    for who, route, codes, then_create in rows:
        answer = who.put(url, json=route)
        assert answer.status_code == 200, answer.text
        assert answer.json()["route"] == route
        assert [w["code"] for w in answer.json()["warnings"]] == codes
        if codes:
            assert "POST /v1/signing-secret" in answer.json()["warnings"][0]["message"]
        if then_create:
            assert first.post("/v1/signing-secret").status_code in (200, 201)
    assert lease["customer_id"] == ids[0]
    assert "warnings" not in first.get(f"/v1/keywords/{lease['id']}").json()


def test_reserved_words_crud(api: ApiServer) -> None:
    admin, first, _, _ = _setup(api)
    assert admin.post("/v1/reserved-words", json={"word": "Kampanje"}).status_code == 201
    assert admin.post("/v1/reserved-words", json={"word": "KAMPANJE"}).status_code == 409
    assert admin.post("/v1/reserved-words", json={"word": "stopp"}).status_code == 409
    words = {w["word"]: w["builtin"] for w in admin.get("/v1/reserved-words").json()}
    assert words["KAMPANJE"] is False and words["STOPP"] is True
    check = first.get("/v1/keywords/availability", params={"number": "2077", "keyword": "kampanje"})
    assert _codes(check.json()) == ["reserved"]
    assert first.post("/v1/reserved-words", json={"word": "MINE"}).status_code == 403
    assert admin.delete("/v1/reserved-words/STOPP").status_code == 409
    assert admin.delete("/v1/reserved-words/kampanje").status_code == 204
    assert admin.delete("/v1/reserved-words/kampanje").status_code == 404
    check = first.get("/v1/keywords/availability", params={"number": "2077", "keyword": "kampanje"})
    assert check.json()["available"] is True


def test_admin_leases_for_a_customer(api: ApiServer) -> None:
    admin, first, _, ids = _setup(api)
    body = {"number": "2077", "keyword": "PIZZA", "customer_id": ids[0]}
    made = admin.post("/v1/keywords", json=body)
    assert made.status_code == 201 and made.json()["customer_id"] == ids[0]
    assert first.get(f"/v1/keywords/{made.json()['id']}").status_code == 200
    missing = admin.post("/v1/keywords", json={"number": "2077", "keyword": "KEBAB"})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "customer_required"


JSON = {"Content-Type": "application/json"}

# method, path, json/params/raw body, token kind, expected status, expected code
BAD_INPUTS: list[tuple[str, str, dict[str, Any], str, int, str]] = [
    (
        "POST",
        "/v1/keywords",
        {"content": b"{not json", "headers": JSON},
        "customer",
        400,
        "malformed_json",
    ),
    (
        "POST",
        "/v1/customers",
        {"content": b'{"name": ', "headers": JSON},
        "admin",
        400,
        "malformed_json",
    ),
    ("POST", "/v1/customers", {"content": b"name=Ola"}, "admin", 415, "unsupported_media_type"),
    ("POST", "/v1/customers", {"data": {"name": "Ola"}}, "admin", 415, "unsupported_media_type"),
    (
        "POST",
        "/v1/keywords",
        {"json": {"number": "2077", "keyword": "a" * 17}},
        "customer",
        422,
        "invalid_keyword",
    ),
    (
        "POST",
        "/v1/keywords",
        {"json": {"number": "2077", "keyword": "x" * 65}},
        "customer",
        422,
        "validation_error",
    ),
    (
        "GET",
        "/v1/keywords/availability",
        {"params": {"number": "abc", "keyword": "PIZZA"}},
        "customer",
        422,
        "invalid_number",
    ),
    (
        "GET",
        "/v1/keywords/availability",
        {"params": {"number": "9999", "keyword": "PIZZA"}},
        "customer",
        404,
        "number_not_found",
    ),
    (
        "GET",
        "/v1/keywords/availability",
        {"params": {"keyword": "PIZZA"}},
        "customer",
        422,
        "validation_error",
    ),
    (
        "GET",
        "/v1/keywords/availability",
        {"params": {"number": "2077", "keyword": "p" * 100}},
        "customer",
        422,
        "validation_error",
    ),
    ("GET", "/v1/keywords", {}, "none", 401, "missing_token"),
    (
        "GET",
        "/v1/keywords",
        {"headers": {"Authorization": "Basic abc"}},
        "none",
        401,
        "invalid_token",
    ),
    (
        "GET",
        "/v1/keywords",
        {"headers": {"Authorization": "Bearer ko_1_nope"}},
        "none",
        401,
        "invalid_token",
    ),
    (
        "GET",
        "/v1/keywords",
        {"headers": {"Authorization": "Bearer ko_999_" + "a" * 43}},
        "none",
        401,
        "invalid_token",
    ),
    ("POST", "/v1/customers", {"json": {"name": ""}}, "admin", 422, "validation_error"),
    ("POST", "/v1/customers", {"json": {"name": "x" * 201}}, "admin", 422, "validation_error"),
    ("POST", "/v1/customers", {"json": {"name": 42}}, "admin", 422, "validation_error"),
    ("POST", "/v1/customers", {"json": ["a list"]}, "admin", 422, "validation_error"),
    ("POST", "/v1/customers", {"json": {"name": "   "}}, "admin", 422, "invalid_name"),
    (
        "POST",
        "/v1/customers",
        {"json": {"name": "A", "extra": 1}},
        "admin",
        422,
        "validation_error",
    ),
    ("POST", "/v1/customers/999/api-keys", {}, "admin", 404, "customer_not_found"),
    ("POST", "/v1/customers/abc/api-keys", {}, "admin", 422, "validation_error"),
    (
        "POST",
        "/v1/numbers",
        {"json": {"number": "20777", "mode": "dedicated"}},
        "admin",
        422,
        "invalid_number",
    ),
    (
        "POST",
        "/v1/numbers",
        {"json": {"number": "207", "mode": "shared"}},
        "admin",
        422,
        "invalid_number",
    ),
    (
        "POST",
        "/v1/numbers",
        {"json": {"number": "2077", "mode": "shared"}},
        "admin",
        409,
        "number_exists",
    ),
    (
        "POST",
        "/v1/numbers",
        {"json": {"number": "3000", "mode": "rented"}},
        "admin",
        422,
        "validation_error",
    ),
    (
        "POST",
        "/v1/numbers",
        {"json": {"number": "3000", "mode": "shared", "keyword_fee_ore": -5}},
        "admin",
        422,
        "validation_error",
    ),
    (
        "POST",
        "/v1/numbers",
        {"json": {"number": "3000", "mode": "dedicated", "owner_customer_id": 999}},
        "admin",
        404,
        "customer_not_found",
    ),
    (
        "POST",
        "/v1/numbers",
        {"json": {"number": "3000", "mode": "shared"}},
        "customer",
        403,
        "admin_only",
    ),
    ("GET", "/v1/keywords/999", {}, "customer", 404, "keyword_not_found"),
    ("GET", "/v1/keywords/abc", {}, "customer", 422, "validation_error"),
    ("DELETE", "/v1/keywords/999", {}, "customer", 404, "keyword_not_found"),
    ("PUT", "/v1/keywords/1/route", {"json": {"type": "fax"}}, "customer", 422, "validation_error"),
    (
        "POST",
        "/v1/keywords",
        {
            "json": {
                "number": "2077",
                "keyword": "SUSHI",
                "aliases": ["A" + str(i) for i in range(11)],
            }
        },
        "customer",
        422,
        "validation_error",
    ),
    ("GET", "/v1/nowhere", {}, "customer", 404, "not_found"),
    ("PATCH", "/v1/customers", {}, "admin", 405, "method_not_allowed"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "who", "status", "code"), BAD_INPUTS)
def test_bad_input_gets_a_clear_error(
    api: ApiServer, method: str, path: str, kwargs: dict[str, Any], who: str, status: int, code: str
) -> None:
    admin, first, _, _ = _setup(api)
    client = {"admin": admin, "customer": first, "none": api.client()}[who]
    response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_openapi_and_healthz(api: ApiServer) -> None:
    client = api.client()
    assert client.get("/healthz").json()["status"] == "ok"
    schema = client.get("/openapi.json").json()
    assert "/v1/keywords/availability" in schema["paths"]
    assert "/v1/keywords/{lease_id}/route" in schema["paths"]
