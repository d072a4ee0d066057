"""A lease's history through the API: the provider sees every event, a customer only
those of its own holding, and nothing that names an earlier holder."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kodeord.app.keywords.lifecycle import holding_history
from tests.conftest import ADMIN_TOKEN
from tests.support import ApiServer


class World:
    """Customers A, B and C with keys, the shared number 2077, one lease of PIZZA."""

    def __init__(self, api: ApiServer) -> None:
        self.admin = api.admin()
        self.ids: dict[str, int] = {}
        self.clients: dict[str, httpx.Client] = {"admin": self.admin}
        for name in "ABC":
            made = self.admin.post("/v1/customers", json={"name": f"Kunde {name}"}).json()
            key = self.admin.post(f"/v1/customers/{made['id']}/api-keys").json()["key"]
            self.ids[name] = made["id"]
            self.clients[name] = api.client(key)
        number = self.admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"})
        assert number.status_code == 201, number.text
        self.lease_id = 0

    def do(self, step: str) -> None:
        """One step: 'lease A', 'cancel A', 'transfer B', 'suspend', 'resume', 'claim C'
        (C claims; the provider transfers it), 'reject claim C'."""
        verb, _, who = step.rpartition(" ") if " " in step else (step, "", "")
        path = f"/v1/keywords/{self.lease_id}"
        if verb == "lease":
            made = self.clients[who].post(
                "/v1/keywords", json={"number": "2077", "keyword": "PIZZA"}
            )
            self.lease_id = made.json()["id"]
            return
        if verb == "cancel":
            response = self.clients[who].post(f"{path}/cancel")
        elif verb == "transfer":
            body = {"customer_id": self.ids[who], "reason": f"asked by customer {self.holder()}"}
            response = self.admin.post(f"{path}/transfer", json=body)
        elif verb in ("claim", "reject claim"):
            claim = {"number": "2077", "keyword": "PIZZA", "reason": "our brand"}
            claim_id = self.clients[who].post("/v1/keyword-claims", json=claim).json()["id"]
            decision = {"decision": "transfer" if verb == "claim" else "reject"}
            response = self.admin.post(f"/v1/keyword-claims/{claim_id}/decision", json=decision)
        else:
            response = self.admin.post(f"{path}/{verb}")
        assert response.status_code == 200, (step, response.text)

    def holder(self) -> int:
        lease: dict[str, Any] = self.admin.get(f"/v1/keywords/{self.lease_id}").json()
        return int(lease["customer_id"])

    def history(self, viewer: str) -> httpx.Response:
        return self.clients[viewer].get(f"/v1/keywords/{self.lease_id}/history")


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with ApiServer(database_url, ADMIN_TOKEN) as api:
        yield World(api)


CASES = [
    # (steps, viewer, the actions it sees — None: 404, the lease is not its)
    (["lease A", "cancel A"], "A", ["leased", "cancelled"]),
    (["lease A", "cancel A"], "B", None),
    (["lease A", "cancel A", "transfer B"], "B", ["transferred"]),
    (["lease A", "cancel A", "transfer B"], "A", None),
    (["lease A", "cancel A", "transfer B"], "admin", ["leased", "cancelled", "transferred"]),
    (["lease A", "transfer B", "suspend", "resume"], "B", ["transferred", "suspended", "resumed"]),
    (["lease A", "transfer B", "cancel B", "transfer A"], "A", ["transferred"]),  # back again
    (
        ["lease A", "transfer B", "cancel B", "transfer A"],
        "admin",
        ["leased", "transferred", "cancelled", "transferred"],
    ),
    (["lease A", "claim C"], "C", ["transferred"]),
    (["lease A", "reject claim C"], "A", ["leased", "claim_filed", "claim_rejected"]),
    (
        ["lease A", "transfer B", "reject claim C"],
        "B",
        ["transferred", "claim_filed", "claim_rejected"],
    ),
]


@pytest.mark.parametrize(("steps", "viewer", "actions"), CASES)
def test_who_sees_which_events(
    world: World, steps: list[str], viewer: str, actions: list[str] | None
) -> None:
    earlier = set()
    for step in steps:
        if step.startswith(("transfer", "claim")):
            earlier.add(world.holder())
        world.do(step)
    response = world.history(viewer)
    if actions is None:
        assert response.status_code == 404
        return
    assert response.status_code == 200, response.text
    events = response.json()
    assert [event["action"] for event in events] == actions
    if viewer == "admin":
        transfers = [e for e in events if e["action"] == "transferred"]
        assert {e["detail"]["from_customer"] for e in transfers} == earlier
        return
    me = world.ids[viewer]
    named = {f"customer:{c}" for c in earlier - {me}}
    for event in events:
        assert event["actor"] not in named, event
        detail = event["detail"] or {}
        assert "from_customer" not in detail and "reason" not in detail, event
        assert all(detail[k] == me for k in detail if k.endswith("customer")), event
    if actions[0] == "transferred":
        assert events[0]["detail"] == {"to_customer": me}  # no from, no reason


def test_holding_history_is_a_pure_rule() -> None:
    def event(action: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"action": action, "actor": "admin", "detail": detail, "at": None}

    moved = event("transferred", {"from_customer": 1, "to_customer": 2, "reason": "1 asked"})
    back = event("transferred", {"from_customer": 2, "to_customer": 1})
    events = [event("leased"), moved, event("suspended"), back, event("resumed")]
    assert holding_history(events, 1) == [event("transferred", {"to_customer": 1}), events[4]]
    assert holding_history(events[:3], 2) == [event("transferred", {"to_customer": 2}), events[2]]
    assert holding_history(events[:1], 1) == events[:1]
    assert holding_history([], 1) == []
