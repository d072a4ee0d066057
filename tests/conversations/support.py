"""A shared number on the built-in operator simulator, customers with keywords and keys,
and a phone that texts it over real SMPP: the world of the conversation tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from kodeord.adapters.simulator.operator import OperatorSimulator
from kodeord.adapters.simulator.phones import ReceivedMessage
from tests.support import ApiServer

ADMIN_TOKEN = "kadm_conversations-test-token-000000000000"


def wait_bound(server: ApiServer) -> None:
    deadline = time.monotonic() + 10
    links: list[Any] = []
    while time.monotonic() < deadline:
        links = server.admin().get("/v1/operator-links").json()
        if any(link["state"] == "bound" for link in links):
            return
        time.sleep(0.05)
    raise AssertionError(f"the simulator link did not bind: {links}")


@dataclass
class World:
    server: ApiServer

    @property
    def simulator(self) -> OperatorSimulator:
        assert self.server.simulator is not None
        return self.server.simulator

    def number(self, digits: str, **settings: Any) -> None:
        admin = self.server.admin()
        body = {"number": digits, "mode": "shared", "keyword_fee_ore": 1000}
        assert admin.post("/v1/numbers", json=body).status_code == 201
        if settings:
            put = admin.put(f"/v1/numbers/{digits}/settings", json=settings)
            assert put.status_code == 200, put.text

    def customer(self, name: str, keyword: str, number: str) -> httpx.Client:
        """A customer with `keyword` on `number` routed to its inbox; its API client."""
        admin = self.server.admin()
        customer = admin.post("/v1/customers", json={"name": name}).json()["id"]
        key = admin.post(f"/v1/customers/{customer}/api-keys").json()["key"]
        client = self.server.client(key)
        lease = client.post("/v1/keywords", json={"number": number, "keyword": keyword})
        assert lease.status_code == 201, lease.text
        route = client.put(f"/v1/keywords/{lease.json()['id']}/route", json={"type": "inbox"})
        assert route.status_code == 200, route.text
        return client

    def text(self, phone: str, to: str, text: str) -> None:
        """The phone texts `to` (the simulator sends the deliver_sm)."""

        async def send() -> None:
            self.simulator.send_mo(phone, to, text)

        self.server.call(send())

    def received(self, phone: str, count: int) -> list[ReceivedMessage]:
        """The phone's first `count` messages, once it has that many."""
        deadline = time.monotonic() + 20
        got: list[ReceivedMessage] = []
        while time.monotonic() < deadline:
            got = self.simulator.phones.messages(phone)
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{phone} has {len(got)} messages, not {count}: {got}")

    def inbound(self, client: httpx.Client, text: str) -> dict[str, Any]:
        """The MO with `text` as `client` (a customer, or the admin) lists it, once routed."""
        deadline = time.monotonic() + 20
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = client.get("/v1/messages", params={"direction": "inbound"}).json()
            for message in found:
                if message["text"] == text and message["route_step"]:
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no routed MO {text!r}: {found}")
