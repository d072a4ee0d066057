"""The operator inbox over real HTTP, with MO from the simulator's phones over SMPP:
listing with filters and paging, handing a message to a customer (it becomes that
customer's MO, in its inbox), and every refusal. SQLite and PostgreSQL."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.inbound.test_inbound_e2e import World
from tests.outbound.test_customer_smpp import customer
from tests.outbound.test_outbound_e2e import FAST_RETRY, _world
from tests.support import ApiServer

PHONE_A, PHONE_B = "4791110001", "4791110002"


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options) as api:
        world = _world(api)
        yield world
        api.call(world.simulator.stop())


def _inbox(world: World, **params: Any) -> list[dict[str, Any]]:
    answer = world.admin.get("/v1/admin/operator-inbox", params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _wait_inbox(world: World, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if len(found := _inbox(world)) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not {count} messages in the operator inbox: {found}")


def _hand(client: httpx.Client, message_id: int, customer_id: int) -> httpx.Response:
    url = f"/v1/admin/operator-inbox/{message_id}/hand-over"
    return client.post(url, json={"customer_id": customer_id})


def test_the_inbox_lists_unmatched_mo_and_hands_one_to_a_customer(world: World) -> None:
    a_id, a = customer(world, "Pizzeria Napoli AS")
    b_id, b = customer(world, "Taxi Vest AS", keyword=None)
    world.send("TACO tirsdag", phone=PHONE_A)
    world.send("PIZZA en stor", phone=PHONE_A)  # A's keyword: not in the operator inbox
    world.send("BURGER", phone=PHONE_B)
    world.send("KEBAB", to="2099", phone=PHONE_B)  # no such number
    found = _wait_inbox(world, 3)
    assert [m["text"] for m in found] == ["KEBAB", "BURGER", "TACO tirsdag"]
    assert [m["route_step"] for m in found] == ["unknown_number", "no_match", "no_match"]
    assert all(m["customer_id"] is None and m["handed_over_at"] is None for m in found)
    taco = found[2]
    assert (taco["from"], taco["number"]) == ("+" + PHONE_A, "2077")

    assert [m["text"] for m in _inbox(world, phone=PHONE_B)] == ["KEBAB", "BURGER"]
    assert [m["text"] for m in _inbox(world, phone="+" + PHONE_A)] == ["TACO tirsdag"]
    assert [m["text"] for m in _inbox(world, number="2077")] == ["BURGER", "TACO tirsdag"]
    first = _inbox(world, limit=1)
    rest = _inbox(world, limit=5, before_id=first[0]["id"])
    assert [m["id"] for m in first + rest] == [m["id"] for m in found]

    handed = _hand(world.admin, taco["id"], a_id)
    assert handed.status_code == 200, handed.text
    assert handed.json()["customer_id"] == a_id and handed.json()["handed_over_at"]
    assert [m["text"] for m in _inbox(world)] == ["KEBAB", "BURGER"]
    mine = a.get("/v1/messages", params={"direction": "inbound"}).json()
    assert sorted(m["text"] for m in mine) == ["PIZZA en stor", "TACO tirsdag"]
    read = a.get(f"/v1/messages/{taco['id']}").json()
    assert (read["status"], read["destination"], read["customer_id"]) == (
        "delivered",
        {"type": "inbox"},
        a_id,
    )
    assert b.get(f"/v1/messages/{taco['id']}").status_code == 404
    assert b.get("/v1/messages").json() == []

    again = _hand(world.admin, taco["id"], b_id)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_handed_over")
    pizza = next(m for m in mine if m["text"] == "PIZZA en stor")
    refusals = [
        (_hand(world.admin, pizza["id"], b_id), 404, "message_not_found"),  # A's own MO
        (_hand(world.admin, 10**9, b_id), 404, "message_not_found"),
        (_hand(world.admin, found[0]["id"], 999), 404, "customer_not_found"),
        (_hand(a, found[0]["id"], a_id), 403, "admin_only"),
        (a.get("/v1/admin/operator-inbox"), 403, "admin_only"),
        (world.admin.get("/v1/admin/operator-inbox", params={"number": "12"}), 422, None),
    ]
    for answer, status, code in refusals:
        assert answer.status_code == status, answer.text
        if code:
            assert answer.json()["error"]["code"] == code
    assert world.admin.post(f"/v1/customers/{b_id}/suspend").status_code == 200
    suspended = _hand(world.admin, found[0]["id"], b_id)
    assert (suspended.status_code, suspended.json()["error"]["code"]) == (
        409,
        "customer_suspended",
    )

    entries = world.admin.get("/v1/admin/audit-log", params={"action": "hand_over"}).json()
    assert [(e["actor"], e["target"], e["customer_id"]) for e in entries] == [
        ("admin", f"message:{taco['id']}", a_id)
    ]


def test_two_hand_overs_at_once_one_wins(world: World) -> None:
    a_id, _ = customer(world, "Pizzeria Napoli AS", keyword=None)
    b_id, _ = customer(world, "Taxi Vest AS", keyword=None)
    world.send("UKJENT", phone=PHONE_A)
    (message,) = _wait_inbox(world, 1)
    clients = [world.api.admin(), world.api.admin()]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda pair: _hand(pair[0], message["id"], pair[1]),
                zip(clients, [a_id, b_id], strict=True),
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 409]
