"""The availability check through the API: lookalikes, brands, similar names and ideas,
and an index that follows leases made by another process on the same database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kodeord.adapters.db.engine import Database
from kodeord.app.accounts.customers import Principal
from kodeord.app.keywords import leasing as keywords
from kodeord.wiring import GatewayOptions, make_context
from tests.conftest import ADMIN_TOKEN
from tests.support import ApiServer


class World:
    def __init__(self, api: ApiServer) -> None:
        self.api = api
        self.admin = api.admin()
        self.ids: list[int] = []
        self.clients: list[httpx.Client] = []
        for name in ("Pizzeria Napoli AS", "Nabo AS", "Pizza Hut Norge AS"):
            customer_id = self.admin.post("/v1/customers", json={"name": name}).json()["id"]
            key = self.admin.post(f"/v1/customers/{customer_id}/api-keys").json()["key"]
            self.ids.append(customer_id)
            self.clients.append(api.client(key))
        assert self.admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"}).is_success

    def check(self, who: int, word: str) -> dict[str, Any]:
        params = {"number": "2077", "keyword": word}
        answer = self.clients[who].get("/v1/keywords/availability", params=params)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with ApiServer(database_url, ADMIN_TOKEN, GatewayOptions()) as api:
        yield World(api)


def _codes(found: dict[str, Any], kind: str = "reasons") -> list[tuple[str, str | None]]:
    return [(r["code"], r.get("near")) for r in found[kind]]


def test_lookalikes_brands_warnings_and_suggestions(world: World) -> None:
    lease = {"number": "2077", "keyword": "PIZZA"}
    assert world.clients[0].post("/v1/keywords", json=lease).status_code == 201
    assert _codes(world.check(1, "P1ZZA")) == [("confusable", "PIZZA")]
    assert ("confusable", "PIZZA") in _codes(world.check(1, "piizza"))
    assert world.check(0, "P1ZZA")["available"] is True  # its own lookalike does not block
    near = world.check(1, "PIZZAS")
    assert near["available"] is True and ("similar", "PIZZA") in _codes(near, "warnings")
    taken = world.check(1, "pizza")
    assert _codes(taken) == [("taken", None)]
    assert "PIZZA2077" in taken["suggestions"] and len(taken["suggestions"]) <= 5
    for idea in taken["suggestions"]:
        assert world.check(1, idea)["available"] is True
    # nothing names the holder
    assert "Napoli" not in str(world.check(1, "P1ZZA")) + str(near)
    brand = {"name": "PIZZAHUT", "holder_customer_id": world.ids[2]}
    assert world.admin.post("/v1/brands", json=brand).status_code == 201
    assert ("protected", "PIZZAHUT") in _codes(world.check(1, "PIZZAHUT"))
    assert ("protected", "PIZZAHUT") in _codes(world.check(1, "PIZZAHUTNO"))
    assert world.check(2, "PIZZAHUT")["available"] is True
    refused = world.clients[1].post("/v1/keywords", json={"number": "2077", "keyword": "P1ZZAHUT"})
    assert refused.status_code == 409
    assert {r["code"] for r in refused.json()["error"]["reasons"]} >= {"protected"}


def test_the_index_follows_leases_made_by_another_process(world: World) -> None:
    assert world.check(1, "KEBABB")["available"] is True  # the index is loaded now
    other = Database(world.api.database_url)  # another node, with an index of its own

    async def lease_elsewhere() -> None:
        try:
            ctx = make_context(other)
            await keywords.lease(ctx, Principal(world.ids[0]), "2077", "KEBAB")
        finally:
            await other.close()

    world.api.call(lease_elsewhere())
    assert _codes(world.check(1, "KEBAB")) == [("taken", None)]
    assert ("confusable", "KEBAB") in _codes(world.check(1, "KEBABB"))
