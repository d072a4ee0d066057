"""A keyword's life through the API, with a clock the test moves: terms and renewal,
cancellation, quarantine, transfer, suspension, forced release, brands and claims."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from kodeord.app.keywords import lifecycle
from kodeord.smpp.pdu import DeliverSm
from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.queue.support import FakeClock
from tests.support import ApiServer

T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)  # a 31st: terms end on short months' last day


class World:
    def __init__(self, api: ApiServer, clock: FakeClock) -> None:
        self.api = api
        self.clock = clock
        self.admin = api.admin()
        self.ids: list[int] = []
        self.clients: list[httpx.Client] = []
        for name in ("Pizzeria Napoli AS", "Pizza Hut Norge AS", "Taxi Vest AS"):
            customer_id = self.admin.post("/v1/customers", json={"name": name}).json()["id"]
            key = self.admin.post(f"/v1/customers/{customer_id}/api-keys").json()["key"]
            self.ids.append(customer_id)
            self.clients.append(api.client(key))
        shared = {"number": "2077", "mode": "shared", "keyword_fee_ore": 1000}
        assert self.admin.post("/v1/numbers", json=shared).status_code == 201

    def lease(self, who: int, keyword: str) -> httpx.Response:
        return self.clients[who].post("/v1/keywords", json={"number": "2077", "keyword": keyword})

    def available(self, who: int, keyword: str) -> dict[str, Any]:
        params = {"number": "2077", "keyword": keyword}
        found: dict[str, Any] = (
            self.clients[who].get("/v1/keywords/availability", params=params).json()
        )
        return found

    def terms(self) -> dict[str, int]:
        ran: dict[str, int] = self.api.call(lifecycle.run_terms(self.api.gateway.ctx))
        return ran

    def history(self, lease_id: int) -> list[str]:
        events = self.admin.get(f"/v1/keywords/{lease_id}/history").json()
        return [event["action"] for event in events]


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    clock = FakeClock(T0)
    with ApiServer(database_url, ADMIN_TOKEN, GatewayOptions(), clock=clock) as api:
        yield World(api, clock)


def test_a_term_renews_each_month_and_is_billed_per_started_month(world: World) -> None:
    lease = world.lease(0, "PIZZA").json()
    assert datetime.fromisoformat(lease["term_ends_at"]) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert lease["billed_months"] == 1
    assert world.terms() == {"renewed": 0, "ended": 0}
    world.clock.now = datetime(2026, 2, 28, 10, 0, 1, tzinfo=UTC)
    assert world.terms() == {"renewed": 1, "ended": 0}
    again = world.clients[0].get(f"/v1/keywords/{lease['id']}").json()
    assert (again["billed_months"], again["status"]) == (2, "active")
    assert datetime.fromisoformat(again["term_ends_at"]) == datetime(2026, 3, 31, 10, tzinfo=UTC)
    world.clock.now = datetime(2026, 6, 1, tzinfo=UTC)  # the gateway was down for months
    assert world.terms() == {"renewed": 1, "ended": 0}
    again = world.clients[0].get(f"/v1/keywords/{lease['id']}").json()
    assert again["billed_months"] == 5  # Feb, Mar, Apr, May and June's term started
    assert world.history(lease["id"]) == ["leased", "renewed", "renewed"]


def test_cancel_ends_at_the_term_then_quarantine_keeps_it_for_its_holder(world: World) -> None:
    lease = world.lease(0, "PIZZA").json()
    cancelled = world.clients[0].post(f"/v1/keywords/{lease['id']}/cancel").json()
    assert cancelled["cancel_at_term_end"] is True and cancelled["status"] == "active"
    world.clock.advance(20 * 86400)
    assert world.terms() == {"renewed": 0, "ended": 0}  # runs to its term's end
    world.clock.now = datetime(2026, 2, 28, 10, 0, 1, tzinfo=UTC)
    assert world.terms() == {"renewed": 0, "ended": 1}
    ended = world.clients[0].get(f"/v1/keywords/{lease['id']}").json()
    assert ended["status"] == "released"
    assert world.history(lease["id"]) == ["leased", "cancelled", "ended"]
    # quarantine: others may not, the former holder may
    assert [r["code"] for r in world.available(1, "pizza")["reasons"]] == ["quarantined"]
    assert world.lease(1, "pizza").status_code == 409
    assert world.available(0, "pizza")["available"] is True
    # until the quarantine ends (30 days)
    world.clock.advance(30 * 86400 + 1)
    assert world.available(1, "pizza")["available"] is True
    assert world.lease(1, "pizza").status_code == 201


def test_the_former_holder_takes_it_back_during_quarantine(world: World) -> None:
    lease = world.lease(0, "PIZZA").json()
    assert world.clients[0].delete(f"/v1/keywords/{lease['id']}").status_code == 200
    world.clock.advance(86400)
    assert world.lease(1, "PIZZA").status_code == 409
    taken_back = world.lease(0, "PIZZA")
    assert taken_back.status_code == 201
    assert world.available(1, "pizza")["reasons"][0]["code"] == "taken"


def test_uncancel_before_the_term_ends_keeps_renewing(world: World) -> None:
    lease = world.lease(0, "PIZZA").json()
    world.clients[0].post(f"/v1/keywords/{lease['id']}/cancel")
    kept = world.clients[0].post(f"/v1/keywords/{lease['id']}/uncancel").json()
    assert kept["cancel_at_term_end"] is False
    world.clock.now = datetime(2026, 3, 1, tzinfo=UTC)
    assert world.terms() == {"renewed": 1, "ended": 0}


def test_transfer_suspend_and_force_release(world: World) -> None:
    lease = world.lease(0, "PIZZA").json()
    path = f"/v1/keywords/{lease['id']}"
    assert world.clients[0].post(f"{path}/suspend").status_code == 403  # provider only
    suspended = world.admin.post(f"{path}/suspend").json()
    assert suspended["status"] == "suspended"
    # a suspended keyword's messages go to the operator inbox
    mo = DeliverSm(
        source_addr_ton=1,
        source_addr="4791234567",
        destination_addr="2077",
        short_message=b"PIZZA to store",
    )
    assert world.api.call(world.api.gateway.receiver.receive("test", mo)) == 0
    (message,) = world.admin.get("/v1/messages", params={"direction": "inbound"}).json()
    assert (message["status"], message["route_step"]) == ("inbox", "suspended")
    assert world.admin.post(f"{path}/resume").json()["status"] == "active"
    moved = world.admin.post(f"{path}/transfer", json={"customer_id": world.ids[1]})
    assert moved.status_code == 200 and moved.json()["customer_id"] == world.ids[1]
    assert world.clients[0].get(path).status_code == 404
    assert world.clients[1].get(path).json()["keyword"] == "PIZZA"
    same = world.admin.post(f"{path}/transfer", json={"customer_id": world.ids[1]})
    assert same.status_code == 409
    released = world.admin.post(f"{path}/force-release")
    assert released.json()["status"] == "released"
    assert world.available(2, "pizza")["available"] is True  # no quarantine after force
    assert world.history(lease["id"]) == [
        "leased",
        "suspended",
        "resumed",
        "transferred",
        "force_released",
    ]
    assert world.admin.post(f"{path}/suspend").status_code == 409


def test_claims_are_transferred_or_rejected(world: World) -> None:
    lease = world.lease(0, "PIZZAHUT").json()
    claim = {"number": "2077", "keyword": "pizzahut", "reason": "Vårt varemerke"}
    filed = world.clients[1].post("/v1/keyword-claims", json=claim)
    assert filed.status_code == 201, filed.text
    assert "claimant_customer_id" not in filed.json()
    assert world.clients[1].post("/v1/keyword-claims", json=claim).status_code == 409
    assert world.clients[0].post("/v1/keyword-claims", json=claim).json()["error"]["code"] == (
        "own_keyword"
    )
    nobody = claim | {"keyword": "KEBAB"}
    assert world.clients[1].post("/v1/keyword-claims", json=nobody).status_code == 404
    empty = claim | {"reason": "  "}
    assert world.clients[1].post("/v1/keyword-claims", json=empty).status_code == 422
    listed = world.admin.get("/v1/keyword-claims").json()
    assert listed[0]["claimant_customer_id"] == world.ids[1]
    assert world.clients[2].get("/v1/keyword-claims").json() == []
    claim_id = filed.json()["id"]
    decided = world.admin.post(
        f"/v1/keyword-claims/{claim_id}/decision", json={"decision": "transfer", "note": "OK"}
    )
    assert decided.json()["status"] == "transferred"
    assert world.clients[1].get(f"/v1/keywords/{lease['id']}").json()["customer_id"] == world.ids[1]
    again = world.admin.post(f"/v1/keyword-claims/{claim_id}/decision", json={"decision": "reject"})
    assert again.status_code == 409
    # a second claim, by the first customer, rejected
    back = world.clients[0].post("/v1/keyword-claims", json=claim | {"reason": "Vi var først"})
    rejected = world.admin.post(
        f"/v1/keyword-claims/{back.json()['id']}/decision", json={"decision": "reject"}
    )
    assert rejected.json()["status"] == "rejected"
    actions = world.history(lease["id"])
    assert actions == ["leased", "claim_filed", "transferred", "claim_filed", "claim_rejected"]


def test_brands_are_kept_by_the_provider(world: World) -> None:
    added = world.admin.post(
        "/v1/brands", json={"name": "Pizza Hut", "holder_customer_id": world.ids[1]}
    )
    assert added.status_code == 422  # one word
    added = world.admin.post(
        "/v1/brands", json={"name": "PIZZAHUT", "holder_customer_id": world.ids[1]}
    )
    assert added.status_code == 201 and added.json()["name"] == "PIZZAHUT"
    assert world.admin.post("/v1/brands", json={"name": "pizzahut"}).status_code == 409
    assert world.clients[0].get("/v1/brands").status_code == 403
    assert [b["name"] for b in world.admin.get("/v1/brands").json()] == ["PIZZAHUT"]
    assert world.admin.delete(f"/v1/brands/{added.json()['id']}").status_code == 204
    assert world.admin.delete(f"/v1/brands/{added.json()['id']}").status_code == 404


def test_run_terms_is_part_of_housekeeping(world: World) -> None:
    world.lease(0, "PIZZA")
    world.clock.advance(40 * 86400)
    world.api.call(world.api.gateway.maintenance.run_once())
    assert world.clients[0].get("/v1/keywords").json()[0]["billed_months"] == 2
    assert timedelta(days=30) == world.api.gateway.ctx.quarantine


def test_a_suspended_keyword_cannot_be_released_and_taken_back(world: World) -> None:
    lease = world.lease(0, "PIZZA").json()
    world.admin.post(f"/v1/keywords/{lease['id']}/suspend")
    refused = world.clients[0].delete(f"/v1/keywords/{lease['id']}")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "keyword_suspended"


def test_a_dedicated_numbers_keyword_moves_only_to_its_owner(world: World) -> None:
    dedicated = {"number": "2088", "mode": "dedicated", "owner_customer_id": world.ids[0]}
    assert world.admin.post("/v1/numbers", json=dedicated).status_code == 201
    body = {"number": "2088", "keyword": "TAXI"}
    lease = world.clients[0].post("/v1/keywords", json=body).json()
    moved = world.admin.post(
        f"/v1/keywords/{lease['id']}/transfer", json={"customer_id": world.ids[1]}
    )
    assert moved.status_code == 409 and moved.json()["error"]["code"] == "dedicated_number"


def test_leases_from_before_terms_get_the_running_term(world: World) -> None:
    lease = world.lease(0, "PIZZA").json()

    async def forget_term() -> None:
        async with world.api.gateway.ctx.storage.db.transaction() as conn:
            await conn.exec_driver_sql("UPDATE keyword_leases SET term_ends_at = NULL")

    world.api.call(forget_term())
    world.clock.now = datetime(2026, 5, 15, tzinfo=UTC)
    assert world.terms() == {"renewed": 0, "ended": 0}
    again = world.clients[0].get(f"/v1/keywords/{lease['id']}").json()
    assert datetime.fromisoformat(again["term_ends_at"]) == datetime(2026, 5, 31, 10, tzinfo=UTC)
    assert again["billed_months"] == 1  # the past is not billed
