"""Opt-outs for the provider over real HTTP: phones text STOPP over SMPP (the simulator),
the admin looks a phone up, exports every opt-out as RFC 4180 CSV (thousands, so the
export crosses its pages), and removes one, after which the number may send to that
phone again. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from kodeord.app.mo.opt_outs import EXPORT_PAGE
from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.inbound.test_inbound_e2e import World
from tests.outbound.test_customer_smpp import customer
from tests.outbound.test_outbound_e2e import FAST_RETRY, _world
from tests.support import ApiServer

P1, P2 = "4791110001", "4791110002"


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options) as api:
        world = _world(api)
        yield world
        api.call(world.simulator.stop())


def _look_up(world: World, phone: str) -> list[dict[str, Any]]:
    answer = world.admin.get("/v1/admin/opt-outs", params={"phone": phone})
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _wait_opted_out(world: World, phone: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if len(found := _look_up(world, phone)) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{phone} has not {count} opt-outs: {found}")


def test_look_up_export_and_remove(world: World) -> None:
    assert world.admin.post("/v1/numbers", json={"number": "2078", "mode": "shared"}).is_success
    _, client = customer(world, "Pizzeria Napoli AS")
    world.send("STOPP", phone=P1)
    world.send("stopp", to="2078", phone=P1)
    world.send("STOP", phone=P2)
    found = _wait_opted_out(world, P1, 2)
    assert [(o["number"], o["phone"]) for o in found] == [("2077", "+" + P1), ("2078", "+" + P1)]
    assert _look_up(world, P1[2:]) == found  # the national form is read as Norwegian
    _wait_opted_out(world, P2, 1)
    assert _look_up(world, "+4799999999") == []

    mt = {"from": "2077", "to": "+" + P1, "text": "Tilbud!"}
    refused = client.post("/v1/messages", json=mt)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "recipient_opted_out")
    removed = world.admin.delete(f"/v1/admin/opt-outs/2077/%2B{P1}")
    assert removed.status_code == 200, removed.text
    assert (removed.json()["number"], removed.json()["phone"]) == ("2077", "+" + P1)
    assert [o["number"] for o in _look_up(world, P1)] == ["2078"]
    assert client.post("/v1/messages", json=mt).status_code == 202
    again = world.admin.delete(f"/v1/admin/opt-outs/2077/{P1}")
    assert (again.status_code, again.json()["error"]["code"]) == (404, "opt_out_not_found")

    refusals = [
        (world.admin.get("/v1/admin/opt-outs", params={"phone": "pizza"}), "invalid_phone"),
        (world.admin.delete("/v1/admin/opt-outs/2077/pizza"), "invalid_phone"),
        (world.admin.delete(f"/v1/admin/opt-outs/12/{P1}"), "invalid_number"),
    ]
    for answer, code in refusals:
        assert (answer.status_code, answer.json()["error"]["code"]) == (422, code), answer.text
    for answer in (
        client.get("/v1/admin/opt-outs", params={"phone": P2}),
        client.get("/v1/admin/opt-outs/export"),
        client.delete(f"/v1/admin/opt-outs/2078/{P1}"),
    ):
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "admin_only")
    entries = world.admin.get("/v1/admin/audit-log", params={"action": "remove_opt_out"}).json()
    assert [(e["actor"], e["detail"]["status"]) for e in entries] == [("admin", 200)]


def test_the_export_is_rfc_4180_csv_of_every_opt_out(world: World) -> None:
    many = 2 * EXPORT_PAGE + 7  # three pages
    at = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    phones = [f"+479{n:07d}" for n in range(many)]

    async def store(tx: Any) -> None:
        for phone in phones:
            await tx.opt_outs.add("2077", phone, at)

    world.api.call(world.api.gateway.ctx.storage.write(store))
    with world.admin.stream("GET", "/v1/admin/opt-outs/export") as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in answer.headers["content-disposition"]
        body = answer.read().decode("utf-8")
    lines = body.split("\r\n")
    assert lines[0] == "number,phone,created_at" and lines[-1] == ""
    assert len(lines) == many + 2 and "\n" not in body.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[1:] == [["2077", phone, "2026-12-01T08:30:00+00:00"] for phone in sorted(phones)]
