"""The audit log over real HTTP: every changing admin route leaves one entry (the table
below must name every changing route of the OpenAPI document), customers' key changes
leave theirs, refused and read-only calls leave none; reading it back with filters and
paging. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from tests.support import ApiServer, free_port

CHANGING = ("post", "put", "patch", "delete")
Setup = dict[str, Any]
Body = dict[str, Any] | Callable[[Setup], dict[str, Any]] | None

# (method, path as in the OpenAPI document, its parameters from the setup, body, action)
ADMIN_ROUTES: list[tuple[str, str, dict[str, str], Body, str]] = [
    ("POST", "/v1/customers", {}, {"name": "Ny kunde AS"}, "create_customer"),
    ("POST", "/v1/customers/{customer_id}/api-keys", {"customer_id": "a"}, None, "api_key.create"),
    (
        "PATCH",
        "/v1/customers/{customer_id}/api-keys/{key_id}",
        {"customer_id": "a", "key_id": "spare_key"},
        {"name": "kasse"},
        "api_key.rename",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/api-keys/{key_id}/rotate",
        {"customer_id": "a", "key_id": "spare_key"},
        None,
        "api_key.rotate",
    ),
    (
        "DELETE",
        "/v1/customers/{customer_id}/api-keys/{key_id}",
        {"customer_id": "a", "key_id": "spare_key"},
        None,
        "api_key.revoke",
    ),
    (
        "PUT",
        "/v1/customers/{customer_id}/limits",
        {"customer_id": "a"},
        {"send_rate_per_second": 5},
        "set_limits",
    ),
    ("POST", "/v1/customers/{customer_id}/suspend", {"customer_id": "a"}, None, "suspend_customer"),
    ("POST", "/v1/customers/{customer_id}/resume", {"customer_id": "a"}, None, "resume_customer"),
    ("POST", "/v1/numbers", {}, {"number": "2078", "mode": "shared"}, "create_number"),
    (
        "PUT",
        "/v1/numbers/{number}/settings",
        {"number": "number"},
        {"help_text": "Hjelp"},
        "number_settings",
    ),
    (
        "PUT",
        "/v1/numbers/{number}/texts/{key}/{lang}",
        {"number": "number", "key": "text_key", "lang": "text_lang"},
        {"text": "Meldt av {number}."},
        "set_number_text",
    ),
    (
        "DELETE",
        "/v1/numbers/{number}/texts/{key}/{lang}",
        {"number": "number", "key": "text_key", "lang": "text_lang"},
        None,
        "reset_number_text",
    ),
    ("POST", "/v1/reserved-words", {}, {"word": "HEMMELIG"}, "add_reserved_word"),
    ("DELETE", "/v1/reserved-words/{word}", {"word": "word"}, None, "remove_reserved_word"),
    (
        "POST",
        "/v1/keywords",
        {},
        lambda s: {"number": "2077", "keyword": "BURGER", "customer_id": s["a"]},
        "lease_keyword",
    ),
    (
        "PUT",
        "/v1/keywords/{lease_id}/route",
        {"lease_id": "pizza"},
        {"type": "inbox"},
        "set_keyword_route",
    ),
    ("POST", "/v1/keywords/{lease_id}/cancel", {"lease_id": "pizza"}, None, "cancel"),
    ("POST", "/v1/keywords/{lease_id}/uncancel", {"lease_id": "pizza"}, None, "uncancel"),
    ("POST", "/v1/keywords/{lease_id}/suspend", {"lease_id": "pizza"}, None, "suspend"),
    ("POST", "/v1/keywords/{lease_id}/resume", {"lease_id": "pizza"}, None, "resume"),
    (
        "POST",
        "/v1/keywords/{lease_id}/transfer",
        {"lease_id": "pizza"},
        lambda s: {"customer_id": s["b"]},
        "transfer",
    ),
    ("DELETE", "/v1/keywords/{lease_id}", {"lease_id": "taco"}, None, "release_keyword"),
    (
        "POST",
        "/v1/keywords/{lease_id}/force-release",
        {"lease_id": "kebab"},
        None,
        "force_release",
    ),
    ("POST", "/v1/brands", {}, {"name": "NYMERKE"}, "add_brand"),
    ("DELETE", "/v1/brands/{brand_id}", {"brand_id": "brand"}, None, "delete_brand"),
    (
        "POST",
        "/v1/keyword-claims/{claim_id}/decision",
        {"claim_id": "claim"},
        {"decision": "reject"},
        "decide",
    ),
    (
        "POST",
        "/v1/customers/{customer_id}/smpp-accounts",
        {"customer_id": "a"},
        None,
        "create_smpp_account",
    ),
    (
        "DELETE",
        "/v1/smpp-accounts/{system_id}",
        {"system_id": "system_id"},
        None,
        "revoke_smpp_account",
    ),
    ("POST", "/v1/operator-links", {}, lambda s: s["link"], "add_link"),
    ("DELETE", "/v1/operator-links/{name}", {"name": "link_name"}, None, "remove_link"),
    ("POST", "/v1/admin/dead-letters/replay", {}, None, "replay"),
    (
        "DELETE",
        "/v1/admin/opt-outs/{number}/{phone}",
        {"number": "number", "phone": "opted_out"},
        None,
        "remove_opt_out",
    ),
    (
        "POST",
        "/v1/admin/operator-inbox/{message_id}/hand-over",
        {"message_id": "unmatched"},
        lambda s: {"customer_id": s["a"]},
        "hand_over",
    ),
    (
        "POST",
        "/v1/messages/{message_id}/cancel",
        {"message_id": "scheduled"},
        None,
        "cancel_message",
    ),
]

# Changing routes only a customer can use: the admin is refused (and no entry is left).
CUSTOMER_ROUTES = {
    ("POST", "/v1/api-keys"),
    ("PATCH", "/v1/api-keys/{key_id}"),
    ("DELETE", "/v1/api-keys/{key_id}"),
    ("POST", "/v1/api-keys/{key_id}/rotate"),
    ("POST", "/v1/messages"),
    ("POST", "/v1/messages/batch"),
    ("POST", "/v1/signing-secret"),
    ("PUT", "/v1/settings"),
    ("POST", "/v1/keyword-claims"),
}


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.is_success, (answer.request.url, answer.status_code, answer.text)
    return dict(answer.json())


OPTED_OUT = "4791234599"


def _unmatched_mo(api: ApiServer, admin: httpx.Client) -> int:
    """An MO in the operator inbox, and an opt-out of OPTED_OUT: simulator phones text an
    unknown keyword and STOPP over a link that is removed again before the walk."""
    simulator = OperatorSimulator(SimulatorSettings(), "127.0.0.1", 0)
    api.call(simulator.start())
    link = {"name": "sim", "host": "127.0.0.1", "port": simulator.port, "system_id": "kodeord"}
    _ok(admin.post("/v1/operator-links", json={**link, "password": "kodeord"}))
    try:
        deadline = time.monotonic() + 10
        while admin.get("/v1/operator-links").json()[0]["state"] != "bound":
            assert time.monotonic() < deadline, "the link did not bind"
            time.sleep(0.05)

        async def send() -> None:
            simulator.send_mo("4791234567", "2077", "UKJENT ord")
            simulator.send_mo(OPTED_OUT, "2077", "STOPP")

        api.call(send())
        opted_out = {"phone": OPTED_OUT}
        while (
            not (found := admin.get("/v1/admin/operator-inbox").json())
            or not admin.get("/v1/admin/opt-outs", params=opted_out).json()
        ):
            assert time.monotonic() < deadline + 10, "the MO did not reach the operator inbox"
            time.sleep(0.05)
        return int(found[0]["id"])
    finally:
        admin.delete("/v1/operator-links/sim")
        api.call(simulator.stop())


def _setup(api: ApiServer) -> Setup:
    """What the admin routes act on, made before the walk (its own entries are left out)."""
    admin = api.admin()
    a = _ok(admin.post("/v1/customers", json={"name": "Pizzeria Napoli AS"}))["id"]
    b = _ok(admin.post("/v1/customers", json={"name": "Taxi Vest AS"}))["id"]
    customer_a = api.client(_ok(admin.post(f"/v1/customers/{a}/api-keys"))["key"])
    customer_b = api.client(_ok(admin.post(f"/v1/customers/{b}/api-keys"))["key"])
    spare_key = _ok(admin.post(f"/v1/customers/{a}/api-keys"))["id"]
    _ok(admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"}))
    leases = {
        word.lower(): _ok(
            customer_a.post("/v1/keywords", json={"number": "2077", "keyword": word})
        )["id"]
        for word in ("PIZZA", "TACO", "KEBAB", "SUSHI")
    }
    claim = {"number": "2077", "keyword": "SUSHI", "reason": "our brand"}
    claim_id = _ok(customer_b.post("/v1/keyword-claims", json=claim))["id"]
    brand = _ok(admin.post("/v1/brands", json={"name": "KODEORD"}))["id"]
    system_id = _ok(admin.post(f"/v1/customers/{a}/smpp-accounts"))["system_id"]
    send_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    scheduled = {"from": "2077", "to": "+4791234567", "text": "Senere", "send_at": send_at}
    message = _ok(customer_a.post("/v1/messages", json=scheduled))["id"]
    link = {
        "name": "audit-link",
        "host": "127.0.0.1",
        "port": free_port(),  # nobody listens: the link is stored and keeps retrying
        "system_id": "kodeord",
        "password": "secret",
    }
    return {
        "a": a,
        "b": b,
        "spare_key": spare_key,
        "number": "2077",
        "text_key": "stop_confirmed",
        "text_lang": "nb",
        "word": "HEMMELIG",
        **leases,
        "claim": claim_id,
        "brand": brand,
        "system_id": system_id,
        "scheduled": message,
        "link": link,
        "link_name": link["name"],
        "unmatched": _unmatched_mo(api, admin),
        "opted_out": OPTED_OUT,
    }


def _entries(admin: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    answer = admin.get("/v1/admin/audit-log", params={"limit": 500, **params})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_the_table_names_every_changing_route_of_the_openapi_document(api: ApiServer) -> None:
    document = httpx.get(f"{api.base_url}/openapi.json").json()
    changing = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in CHANGING
    }
    tabled = {(method, path) for method, path, *_ in ADMIN_ROUTES}
    assert not tabled & CUSTOMER_ROUTES
    missing = changing - tabled - CUSTOMER_ROUTES
    assert not missing, f"add these to ADMIN_ROUTES or CUSTOMER_ROUTES: {sorted(missing)}"
    assert not (tabled | CUSTOMER_ROUTES) - changing, "the table names routes that are gone"


def test_every_changing_route_authenticates_so_the_hook_sees_the_admin(api: ApiServer) -> None:
    """The hook relies on authentication (web/deps.py `principal`, the one place that
    answers `missing_token`) marking the admin's requests: every changing route runs it."""
    document = httpx.get(f"{api.base_url}/openapi.json").json()
    for path, operations in document["paths"].items():
        for method in set(operations) & set(CHANGING):
            concrete = re.sub(r"\{[a-z_]+\}", "1", path)
            answer = httpx.request(method, f"{api.base_url}{concrete}", json={})
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "missing_token"


def test_every_admin_change_leaves_one_entry(api: ApiServer) -> None:
    setup = _setup(api)
    admin = api.admin()
    before = _entries(admin)[0]["id"]
    for method, path, params, body, action in ADMIN_ROUTES:
        concrete = path.format(**{name: setup[key] for name, key in params.items()})
        payload = body(setup) if callable(body) else body
        answer = admin.request(method, concrete, json=payload)
        assert answer.is_success, (method, concrete, answer.status_code, answer.text)
        newest = _entries(admin, limit=1)[0]
        assert newest["id"] > before, (method, path, "left no entry")
        assert (newest["actor"], newest["action"]) == ("admin", action), (method, path)
        assert newest["source"] == "127.0.0.1"
        assert newest["detail"]["path"] == concrete
        assert newest["detail"]["status"] == answer.status_code
        if "customer_id" in params:
            assert newest["customer_id"] == setup["a"]
        before = newest["id"]
    walked = [e for e in _entries(admin) if e["id"] > before - len(ADMIN_ROUTES)]
    assert len(walked) == len(ADMIN_ROUTES)  # one entry per call, no more


def test_refused_and_read_only_calls_leave_no_entry(api: ApiServer) -> None:
    admin = api.admin()
    customer = _ok(admin.post("/v1/customers", json={"name": "Pizzeria"}))["id"]
    count = len(_entries(admin))
    refused = [
        admin.post("/v1/numbers", json={"number": "12", "mode": "shared"}),  # 422
        admin.post("/v1/customers/999/api-keys"),  # 404
        admin.delete("/v1/reserved-words/STOPP"),  # built in: 409
        admin.get("/v1/customers"),
        admin.get(f"/v1/customers/{customer}/api-keys"),
        admin.get(f"/v1/customers/{customer}/limits"),
        *[
            admin.request(method, path.replace("{key_id}", "1"), json={"name": "x"})
            for method, path in sorted(CUSTOMER_ROUTES)
        ],
    ]
    assert all(a.status_code == 200 or a.status_code >= 400 for a in refused)
    assert len(_entries(admin)) == count


def test_customers_key_changes_are_audited_with_the_key_that_made_them(api: ApiServer) -> None:
    admin = api.admin()
    customer = _ok(admin.post("/v1/customers", json={"name": "Pizzeria"}))["id"]
    first = _ok(admin.post(f"/v1/customers/{customer}/api-keys"))
    me = api.client(first["key"])
    _ok(admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"}))
    since = _entries(admin)[0]["id"]
    made = _ok(me.post("/v1/api-keys", json={"name": "cron"}))
    _ok(me.patch(f"/v1/api-keys/{made['id']}", json={"name": "cron 2"}))
    rotated = _ok(me.post(f"/v1/api-keys/{made['id']}/rotate"))
    _ok(me.delete(f"/v1/api-keys/{rotated['id']}"))
    _ok(me.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"}))  # not audited
    me.delete("/v1/api-keys/999")  # refused: not audited
    found = [e for e in _entries(admin) if e["id"] > since]
    actor = f"customer:{customer}/key:{first['id']}"
    assert [(e["actor"], e["action"], e["target"], e["customer_id"]) for e in found] == [
        (actor, "api_key.revoke", f"api_key:{rotated['id']}", customer),
        (actor, "api_key.rotate", f"api_key:{made['id']}", customer),
        (actor, "api_key.rename", f"api_key:{made['id']}", customer),
        (actor, "api_key.create", f"api_key:{made['id']}", customer),
    ]
    assert found[1]["detail"]["new_key_id"] == rotated["id"]
    assert all(first["key"] not in str(e) and made["key"] not in str(e) for e in found)


def test_reading_the_log_filters_and_pages_newest_first(api: ApiServer) -> None:
    admin = api.admin()
    ids = [_ok(admin.post("/v1/customers", json={"name": f"Kunde {n}"}))["id"] for n in range(5)]
    for customer_id in ids[:3]:
        _ok(admin.post(f"/v1/customers/{customer_id}/api-keys"))
    everything = _entries(admin)
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert len(everything) == 8
    keys = _entries(admin, action="api_key.create")
    assert [e["customer_id"] for e in keys] == list(reversed(ids[:3]))
    assert [e["action"] for e in _entries(admin, customer_id=ids[1])] == ["api_key.create"]
    page = _entries(admin, limit=3)
    rest = _entries(admin, limit=3, before_id=page[-1]["id"])
    assert [e["id"] for e in page + rest] == [e["id"] for e in everything[:6]]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert _entries(admin, since=future) == []
    assert len(_entries(admin, since=everything[-1]["at"])) == 8
    bad = [
        admin.get("/v1/admin/audit-log", params={"since": "2026-12-03T10:00:00"}),  # no zone
        admin.get("/v1/admin/audit-log", params={"limit": 0}),
        admin.get("/v1/admin/audit-log", params={"before_id": 0}),
        admin.get("/v1/admin/audit-log", params={"customer_id": 2**63}),
    ]
    assert [a.status_code for a in bad] == [422] * 4
    customer = api.client(_ok(admin.post(f"/v1/customers/{ids[0]}/api-keys"))["key"])
    answer = customer.get("/v1/admin/audit-log")
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "admin_only")


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/numbers"])
def test_an_unauthenticated_change_leaves_no_entry(api: ApiServer, path: str) -> None:
    assert httpx.post(f"{api.base_url}{path}", json={"name": "x"}).status_code == 401
    assert _entries(api.admin()) == []
