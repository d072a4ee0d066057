"""Two tenants, A and B, each with what a customer can own: a keyword lease, a message,
API keys, an SMPP account, a claim; plus what the provider owns (a brand, a reserved word,
a number). Shared by the tenant-isolation matrix and the schemathesis run. A's texts carry
MARKERS that must never show up in an answer to B."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support import ApiServer

NUMBER = "2077"
# Things only tenant A wrote; an answer to B that contains one of them leaked A's data.
MARKERS = ("Alfa Tenant AS", "ALFAPIZZA", "alfa-secret-text", "alfa-claim-reason", "alfasmpp")


@dataclass
class Tenant:
    customer_id: int
    client: httpx.Client
    lease_id: int
    message_id: int
    spare_key_id: int  # a key of its own that routes may revoke or rotate
    system_id: str


@dataclass
class World:
    api: ApiServer
    admin: httpx.Client
    a: Tenant
    b: Tenant
    claim_id: int  # A's claim on B's keyword
    brand_id: int
    reserved_word: str


def _ok(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()
    return found


def _tenant(api: ApiServer, admin: httpx.Client, name: str, keyword: str, text: str) -> Tenant:
    customer_id = _ok(admin.post("/v1/customers", json={"name": name}))["id"]
    client = api.client(_ok(admin.post(f"/v1/customers/{customer_id}/api-keys"))["key"])
    spare = _ok(admin.post(f"/v1/customers/{customer_id}/api-keys"))["id"]
    lease_id = _ok(client.post("/v1/keywords", json={"number": NUMBER, "keyword": keyword}))["id"]
    send_at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    mt = {"from": NUMBER, "to": "+4791234567", "text": text, "send_at": send_at}
    message_id = _ok(client.post("/v1/messages", json=mt), 202)["id"]
    system_id = keyword.lower()[:4] + "smpp"
    smpp = admin.post(f"/v1/customers/{customer_id}/smpp-accounts", json={"system_id": system_id})
    _ok(smpp)
    return Tenant(customer_id, client, lease_id, message_id, spare, system_id)


def build(api: ApiServer) -> World:
    admin = api.admin()
    _ok(admin.post("/v1/numbers", json={"number": NUMBER, "mode": "shared"}))
    a = _tenant(api, admin, "Alfa Tenant AS", "ALFAPIZZA", "alfa-secret-text")
    b = _tenant(api, admin, "Bravo Tenant AS", "BRAVOTAXI", "bravo-text")
    claim = {"number": NUMBER, "keyword": "BRAVOTAXI", "reason": "alfa-claim-reason"}
    claim_id = _ok(a.client.post("/v1/keyword-claims", json=claim))["id"]
    brand_id = _ok(admin.post("/v1/brands", json={"name": "KODEBRAND"}))["id"]
    _ok(admin.post("/v1/reserved-words", json={"word": "RESERVERT"}))
    return World(api, admin, a, b, claim_id, brand_id, "RESERVERT")
