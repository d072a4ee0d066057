"""Suspending a customer, end to end on real sockets: its API keys get 403
`customer_suspended`, its open SMPP bind is closed and new binds get ESME_RBINDFAIL (a
wrong password still ESME_RINVPASWD), its MO go to the operator inbox (step `suspended`),
and resuming undoes all of it. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from kodeord.smpp.constants import CommandStatus
from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.inbound.test_inbound_e2e import World
from tests.outbound.test_customer_smpp import Esme, account, bind_error, customer
from tests.outbound.test_outbound_e2e import FAST_RETRY, _world
from tests.support import ApiServer

S = CommandStatus
PHONE = "4791112222"


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options, smpp=True) as api:
        world = _world(api)
        yield world
        api.call(world.simulator.stop())


def _until(check: object, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.05)
    raise AssertionError(what)


def _inbound(world: World, text: str) -> dict:
    """The admin's view of the MO with this text, once routed."""
    found: list[dict] = []

    def routed() -> bool:
        found[:] = [
            m
            for m in world.admin.get("/v1/messages", params={"direction": "inbound"}).json()
            if m["text"] == text and m["status"] != "received"
        ]
        return bool(found)

    _until(routed, f"no routed MO {text!r}")
    return found[0]


def test_a_suspended_customer_is_refused_everywhere_and_resuming_undoes_it(world: World) -> None:
    customer_id, client = customer(world, "Pizzeria Napoli AS")
    issued = account(world, customer_id, system_id="napoli")
    port = world.api.smpp_port
    esme = Esme(port, "napoli", issued["password"])
    binds = world.api.gateway.customer_smpp.binds
    _until(lambda: binds.receivers(customer_id), "the bind was not registered")

    suspended = world.admin.post(f"/v1/customers/{customer_id}/suspend")
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["state"] == "suspended" and suspended.json()["changed"] is True
    assert suspended.json()["suspended_at"] is not None
    again = world.admin.post(f"/v1/customers/{customer_id}/suspend").json()
    assert again["changed"] is False and again["suspended_at"] == suspended.json()["suspended_at"]
    listed = {c["id"]: c for c in world.admin.get("/v1/customers").json()}
    assert listed[customer_id]["state"] == "suspended"

    refused = client.get("/v1/keywords")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "customer_suspended")
    mt = {"from": "2077", "to": "+" + PHONE, "text": "hei"}
    refused = client.post("/v1/messages", json=mt)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "customer_suspended")

    _until(lambda: not binds.receivers(customer_id), "the open bind was not closed")
    esme.client.disconnect()
    assert bind_error(port, "napoli", issued["password"]) == S.ESME_RBINDFAIL
    assert bind_error(port, "napoli", "wrong!") == S.ESME_RINVPASWD  # no hint without it

    world.send("PIZZA mens stengt", phone=PHONE)
    held = _inbound(world, "PIZZA mens stengt")
    assert (held["status"], held["customer_id"], held["route_step"]) == ("inbox", None, "suspended")

    resumed = world.admin.post(f"/v1/customers/{customer_id}/resume")
    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["state"], resumed.json()["suspended_at"]) == ("active", None)
    assert client.get("/v1/keywords").status_code == 200
    Esme(port, "napoli", issued["password"]).close()
    world.send("PIZZA etterpå", phone=PHONE)
    delivered = _inbound(world, "PIZZA etterpå")
    assert (delivered["customer_id"], delivered["route_step"]) == (customer_id, "keyword")
    mine = client.get("/v1/messages", params={"direction": "inbound"}).json()
    assert [m["text"] for m in mine] == ["PIZZA etterpå"]


def test_suspending_an_unknown_customer_is_404(world: World) -> None:
    for action in ("suspend", "resume"):
        answer = world.admin.post(f"/v1/customers/999/{action}")
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "customer_not_found")
