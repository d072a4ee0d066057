"""API keys over real HTTP: list, name, revoke, rotate, last use; the admin's and the
customer's routes; another tenant's keys are not found. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN
from tests.queue.support import FakeClock
from tests.support import ApiServer


def _customer(admin: httpx.Client, name: str) -> int:
    made = admin.post("/v1/customers", json={"name": name})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _key(admin: httpx.Client, customer_id: int, body: dict | None = None) -> dict:
    made = admin.post(f"/v1/customers/{customer_id}/api-keys", json=body)
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_customer_lists_names_rotates_and_revokes_its_own_keys(api: ApiServer) -> None:
    admin = api.admin()
    pizzeria = _customer(admin, "Pizzeria Napoli AS")
    first = _key(admin, pizzeria)  # no body: the call the README shows
    assert first["name"] is None and first["key"].startswith(f"ko_{first['id']}_")
    named = _key(admin, pizzeria, {"name": "webshop"})
    assert named["name"] == "webshop" and named["prefix"] == f"ko_{named['id']}_"
    me = api.client(first["key"])

    listed = me.get("/v1/api-keys")
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()] == [first["id"], named["id"]]
    assert all("key" not in k and "key_hash" not in k for k in listed.json())
    assert listed.json()[0]["last_used_at"] is not None  # this very request used it
    assert listed.json()[1]["last_used_at"] is None

    renamed = me.patch(f"/v1/api-keys/{named['id']}", json={"name": " kasse 2 "})
    assert renamed.status_code == 200 and renamed.json()["name"] == "kasse 2"

    rotated = me.post(f"/v1/api-keys/{named['id']}/rotate")
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()
    assert (new["name"], new["replaces"], new["revoked"]) == ("kasse 2", named["id"], False)
    assert api.client(new["key"]).get("/v1/api-keys").status_code == 200
    old = api.client(named["key"]).get("/v1/api-keys")
    assert old.status_code == 401 and old.json()["error"]["code"] == "invalid_token"

    made = me.post("/v1/api-keys", json={"name": "cron"})
    assert made.status_code == 201 and made.json()["customer_id"] == pizzeria
    revoked = me.delete(f"/v1/api-keys/{made.json()['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert api.client(made.json()["key"]).get("/v1/numbers").status_code == 401

    # the calling key revokes itself: refused from the very next request
    assert me.delete(f"/v1/api-keys/{first['id']}").status_code == 200
    assert me.get("/v1/api-keys").status_code == 401

    everything = admin.get(f"/v1/customers/{pizzeria}/api-keys").json()
    assert [(k["id"], k["revoked"]) for k in everything] == [
        (first["id"], True),
        (named["id"], True),
        (new["id"], False),
        (made.json()["id"], True),
    ]


def test_keys_of_another_customer_are_not_found_and_bad_input_has_its_code(
    api: ApiServer,
) -> None:
    admin = api.admin()
    pizzeria, taxi = _customer(admin, "Pizzeria"), _customer(admin, "Taxi")
    mine, theirs = _key(admin, pizzeria), _key(admin, taxi)
    me = api.client(mine["key"])
    cases = [
        (me.patch(f"/v1/api-keys/{theirs['id']}", json={"name": "x"}), 404, "api_key_not_found"),
        (me.delete(f"/v1/api-keys/{theirs['id']}"), 404, "api_key_not_found"),
        (me.post(f"/v1/api-keys/{theirs['id']}/rotate"), 404, "api_key_not_found"),
        (me.get(f"/v1/customers/{taxi}/api-keys"), 403, "admin_only"),
        (me.post(f"/v1/customers/{pizzeria}/api-keys"), 403, "admin_only"),
        (
            admin.delete(f"/v1/customers/{pizzeria}/api-keys/{theirs['id']}"),
            404,
            "api_key_not_found",
        ),
        (admin.get("/v1/customers/999/api-keys"), 404, "customer_not_found"),
        (admin.post("/v1/customers/999/api-keys"), 404, "customer_not_found"),
        (admin.get("/v1/api-keys"), 422, "customer_only"),
        (me.patch(f"/v1/api-keys/{mine['id']}", json={"name": "   "}), 422, "invalid_key_name"),
        (me.post("/v1/api-keys", json={"name": "x" * 101}), 422, "validation_error"),
        (me.post("/v1/api-keys", json={"colour": "red"}), 422, "validation_error"),
        (me.delete("/v1/api-keys/0"), 422, "validation_error"),
        (me.delete(f"/v1/api-keys/{2**63}"), 422, "validation_error"),
    ]
    for answer, status, code in cases:
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.url
    # a revoked key cannot be renamed or rotated; revoking it again changes nothing
    revoked = admin.delete(f"/v1/customers/{taxi}/api-keys/{theirs['id']}").json()
    again = admin.delete(f"/v1/customers/{taxi}/api-keys/{theirs['id']}")
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked["revoked_at"]
    for answer in (
        admin.patch(f"/v1/customers/{taxi}/api-keys/{theirs['id']}", json={"name": "y"}),
        admin.post(f"/v1/customers/{taxi}/api-keys/{theirs['id']}/rotate"),
    ):
        assert (answer.status_code, answer.json()["error"]["code"]) == (409, "api_key_revoked")


def _last_used(admin: httpx.Client, customer_id: int) -> datetime | None:
    (key,) = admin.get(f"/v1/customers/{customer_id}/api-keys").json()
    return datetime.fromisoformat(key["last_used_at"]) if key["last_used_at"] else None


def test_last_used_is_written_at_most_once_a_minute(database_url: str) -> None:
    clock = FakeClock(datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    with ApiServer(database_url, ADMIN_TOKEN, clock=clock) as api:
        admin = api.admin()
        customer_id = _customer(admin, "Pizzeria")
        me = api.client(_key(admin, customer_id)["key"])
        assert _last_used(admin, customer_id) is None
        first = clock.now
        assert me.get("/v1/numbers").status_code == 200
        assert _last_used(admin, customer_id) == first
        for _ in range(5):
            clock.advance(10)
            assert me.get("/v1/numbers").status_code == 200
        assert _last_used(admin, customer_id) == first  # 50 s later: not written again
        clock.advance(15)
        assert me.get("/v1/numbers").status_code == 200
        assert _last_used(admin, customer_id) == clock.now


@pytest.mark.parametrize("token", ["ko_1_" + "A" * 43, "ko_99_" + "B" * 43])
def test_a_key_that_does_not_exist_is_refused(api: ApiServer, token: str) -> None:
    answer = api.client(token).get("/v1/api-keys")
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "invalid_token")
