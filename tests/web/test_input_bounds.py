"""Ids, offsets and times the API cannot store are refused as bad input (422 or 404 with
our error shape), never a 500: one row per parameter the attack run found."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import ApiServer

BIG = 2**63  # one past the largest 64-bit id
HUGE = 10**30

LINK = {"name": "op", "host": "127.0.0.1", "port": 9, "system_id": "kodeord", "password": "pw"}

# (method, path, query, JSON body): each is bad input on an empty gateway, asked by admin.
CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None]] = [
    ("GET", f"/v1/keywords/{BIG}", None, None),
    ("DELETE", f"/v1/keywords/{BIG}", None, None),
    ("GET", f"/v1/keywords/{HUGE}/history", None, None),
    ("POST", f"/v1/keywords/{BIG}/suspend", None, None),
    ("POST", f"/v1/keywords/{BIG}/transfer", None, {"customer_id": 1}),
    ("POST", "/v1/keywords/1/transfer", None, {"customer_id": BIG}),
    ("GET", f"/v1/messages/{BIG}", None, None),
    ("GET", "/v1/messages/-1", None, None),
    ("GET", "/v1/messages", {"before_id": str(BIG)}, None),
    ("GET", "/v1/messages", {"since": "2026-01-01T00:00:00"}, None),
    ("GET", "/v1/messages", {"until": "0001-01-01T00:00:00+01:00"}, None),
    ("GET", "/v1/messages", {"since": "9999-12-31T23:00:00-05:00"}, None),
    (
        "GET",
        "/v1/keywords/availability",
        {"number": "2077", "keyword": "X", "customer_id": BIG},
        None,
    ),
    ("POST", f"/v1/customers/{BIG}/api-keys", None, None),
    ("GET", f"/v1/customers/{BIG}/smpp-accounts", None, None),
    ("POST", f"/v1/customers/{BIG}/smpp-accounts", None, None),
    ("DELETE", f"/v1/brands/{BIG}", None, None),
    ("POST", "/v1/brands", None, {"name": "ACME", "holder_customer_id": BIG}),
    ("POST", f"/v1/keyword-claims/{BIG}/decision", None, {"decision": "reject"}),
    ("POST", "/v1/keywords", None, {"number": "2077", "keyword": "X", "customer_id": BIG}),
    (
        "POST",
        "/v1/numbers",
        None,
        {"number": "2077", "mode": "dedicated", "owner_customer_id": BIG},
    ),
    ("GET", "/v1/admin/dead-letters", {"offset": str(BIG)}, None),
    ("GET", "/v1/admin/dead-letters", {"offset": "-1"}, None),
    ("POST", "/v1/admin/dead-letters/replay", None, {"id": BIG}),
    *(
        ("POST", "/v1/operator-links", None, {**LINK, field: value})
        for field, value in [
            ("host", "O\x9b"),  # not encodable as a DNS name: the link's task died
            ("host", "bad host"),
            ("name", "link\x00"),
            ("system_id", "ø"),
            ("password", "pw\n"),
        ]
    ),
]


@pytest.mark.parametrize(("method", "path", "query", "body"), CASES)
def test_out_of_range_input_is_a_client_error(
    api: ApiServer,
    method: str,
    path: str,
    query: dict[str, Any] | None,
    body: dict[str, Any] | None,
) -> None:
    response = api.admin().request(method, path, params=query, json=body)
    assert response.status_code in (404, 422), response.text
    assert set(response.json()["error"]) >= {"code", "message"}


def test_an_id_beyond_64_bits_is_documented_as_bounded(api: ApiServer) -> None:
    doc = api.client().get("/openapi.json").json()
    parameter = doc["paths"]["/v1/keywords/{lease_id}"]["get"]["parameters"][0]
    assert parameter["schema"]["maximum"] == BIG - 1 and parameter["schema"]["minimum"] == 1


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PATCH", "/v1/customers", "GET, POST"),
        ("PUT", "/v1/numbers", "GET, POST"),
        ("POST", "/v1/messages/1", "GET"),
        ("PUT", "/v1/admin/audit-log", "GET"),
    ],
)
def test_a_wrong_method_is_405_with_allow(
    api: ApiServer, method: str, path: str, allow: str
) -> None:
    """Allow names methods the path takes (Starlette names those of the first route that
    matched the path, so a path served by two routes may show one of them)."""
    response = api.admin().request(method, path)
    assert response.status_code == 405
    allowed = set(response.headers["allow"].split(", "))
    assert allowed and allowed <= set(allow.split(", "))
    assert response.json()["error"]["code"] == "method_not_allowed"
