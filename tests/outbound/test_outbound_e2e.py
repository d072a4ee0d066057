"""Outbound SMS end to end on real sockets: the HTTP API accepts, the gateway submits over
SMPP to the operator simulator, whose phone receives the text; the receipt comes back,
the status callback is signed, the history shows every step. Bad input gets its code."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from kodeord.domain.retry import RetryPolicy
from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.inbound.test_inbound_e2e import World, _wait_bound
from tests.queue.support import FakeClock
from tests.support import ApiServer, WebhookReceiver

PHONE = "+4791234567"
FAST_RETRY = RetryPolicy(first_delay=0.2, factor=2.0, max_delay=0.5, give_up_after=5.0, jitter=0)


def _world(api: ApiServer, **settings: Any) -> World:
    simulator = OperatorSimulator(SimulatorSettings(receipt_delay=0.01, **settings), "127.0.0.1", 0)
    api.call(simulator.start())
    world = World(api, simulator)
    link = {
        "name": "sim",
        "host": "127.0.0.1",
        "port": simulator.port,
        "system_id": "kodeord",
        "password": "kodeord",
        "bind": "transceiver",
        "window": 20,
    }
    assert world.admin.post("/v1/operator-links", json=link).status_code == 201
    _wait_bound(world)
    number = {"number": "2077", "mode": "shared", "segment_price_ore": 49}
    assert world.admin.post("/v1/numbers", json=number).status_code == 201
    return world


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options) as api:
        world = _world(api)
        yield world
        api.call(world.simulator.stop())


def _sender(world: World, keyword: str = "PIZZA") -> tuple[httpx.Client, str]:
    client = world.customer("Pizzeria Napoli AS")
    lease = client.post("/v1/keywords", json={"number": "2077", "keyword": keyword})
    assert lease.status_code == 201, lease.text
    secret = client.post("/v1/signing-secret").json()["secret"]
    return client, secret


def _phone_texts(world: World, phone: str, count: int, timeout: float = 15) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = world.simulator.phones.messages(phone)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{len(world.simulator.phones.messages(phone))} of {count} arrived")


def _wait_status(client: httpx.Client, message_id: int, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found: dict[str, Any] = client.get(f"/v1/messages/{message_id}").json()
        if found["status"] == status:
            return found
        time.sleep(0.05)
    raise AssertionError(f"message {message_id} is {found['status']}, not {status}")


def test_an_mt_reaches_the_phone_and_its_receipt_comes_back_signed(world: World) -> None:
    text = "Hei! Pizzaen din er på vei. Blåbær, ÆØÅ æøå, 25 € [x]"
    with WebhookReceiver() as receiver:
        client, secret = _sender(world)
        sent = client.post(
            "/v1/messages",
            json={
                "from": "2077",
                "to": "91234567",
                "text": text,
                "reference": "ordre-17",
                "callback_url": receiver.url,
            },
        )
        assert sent.status_code == 202, sent.text
        accepted = sent.json()
        assert accepted["status"] == "queued" and accepted["to"] == PHONE
        assert (accepted["segments"], accepted["encoding"], accepted["price_ore"]) == (
            1,
            "GSM7",
            49,
        )
        (received,) = _phone_texts(world, PHONE, 1)
        assert received.text == text and received.sender == "2077"
        detail = _wait_status(client, accepted["id"], "delivered")
        assert [h["status"] for h in detail["history"]] == ["queued", "sent", "delivered"]
        assert detail["parts"][0]["operator_ref"] == received.message_ids[0]
        requests = receiver.wait_for(2)
        statuses = []
        for headers, body in requests:
            lowered = {k.lower(): v for k, v in headers.items()}
            payload = Webhook(secret).verify(body, lowered)
            assert payload == json.loads(body)
            assert payload["type"] == "message.status" and payload["reference"] == "ordre-17"
            assert lowered["webhook-id"] == f"st_{accepted['id']}_{payload['status']}"
            statuses.append(payload["status"])
        assert sorted(statuses) == ["delivered", "sent"]


def test_a_long_message_goes_in_three_parts_and_is_whole_on_the_phone(world: World) -> None:
    client, _ = _sender(world)
    text = ("Tilbud denne uken: to store pizzaer med blåbær og brunost for én. " * 7)[:400]
    accepted = client.post("/v1/messages", json={"from": "2077", "to": PHONE, "text": text})
    assert accepted.status_code == 202 and accepted.json()["segments"] == 3
    assert accepted.json()["price_ore"] == 3 * 49
    (received,) = _phone_texts(world, PHONE, 1)
    assert (received.text, received.parts, received.complete) == (text, 3, True)
    detail = _wait_status(client, accepted.json()["id"], "delivered")
    assert [p["seq"] for p in detail["parts"]] == [1, 2, 3]
    assert all(p["status"] == "delivered" for p in detail["parts"])


def test_ucs2_and_a_batch(world: World) -> None:
    client, _ = _sender(world)
    phones = [f"+479{n:07d}" for n in range(1, 26)]
    batch = client.post(
        "/v1/messages/batch", json={"from": "2077", "to": phones, "text": "Pizza 🍕 i kveld?"}
    )
    assert batch.status_code == 202, batch.text
    body = batch.json()
    assert body["count"] == 25 and body["price_ore"] == 25 * 49
    assert {m["encoding"] for m in body["messages"]} == {"UCS2"}
    for phone in phones:
        (received,) = _phone_texts(world, phone, 1)
        assert received.text == "Pizza 🍕 i kveld?"


def test_send_at_holds_the_message_until_then(world: World) -> None:
    client, _ = _sender(world)
    send_at = datetime.now(UTC) + timedelta(seconds=2)
    accepted = client.post(
        "/v1/messages",
        json={"from": "2077", "to": PHONE, "text": "Senere", "send_at": send_at.isoformat()},
    ).json()
    time.sleep(1.0)
    assert world.simulator.phones.messages(PHONE) == []
    assert client.get(f"/v1/messages/{accepted['id']}").json()["status"] == "queued"
    (received,) = _phone_texts(world, PHONE, 1)
    assert received.received_at >= send_at - timedelta(milliseconds=100)


def _refusal(client: httpx.Client, path: str, body: dict[str, Any]) -> tuple[int, str]:
    answer = client.post(path, json=body)
    return answer.status_code, answer.json()["error"]["code"]


def test_every_bad_input_gets_its_own_code(world: World) -> None:
    client, _ = _sender(world)
    other = world.customer("Konkurrenten AS")
    world.admin.post("/v1/numbers", json={"number": "2078", "mode": "shared"})
    owner = world.admin.get("/v1/customers").json()[-1]["id"]
    dedicated = {"number": "2079", "mode": "dedicated", "owner_customer_id": owner}
    assert world.admin.post("/v1/numbers", json=dedicated).status_code == 201
    # a phone that sent STOPP to 2077
    world.send("STOPP", phone="4790000001")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        inbound = world.admin.get("/v1/messages", params={"direction": "inbound"}).json()
        if inbound and inbound[0]["status"] == "opt_out":
            break
        time.sleep(0.05)
    ok = {"from": "2077", "to": PHONE, "text": "Hei"}
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=60)).isoformat()
    cases = [
        ({"from": "9999"}, 422, "unknown_sender"),
        ({"from": "2078"}, 422, "sender_not_allowed"),  # shared, but no keyword there
        ({"from": "2079"}, 422, "unknown_sender"),  # another customer's dedicated number
        ({"to": "12"}, 422, "invalid_recipient"),
        ({"to": "+47 abc"}, 422, "invalid_recipient"),
        ({"to": "+4790000001"}, 422, "recipient_opted_out"),
        ({"text": ""}, 422, "empty_text"),
        ({"text": "   "}, 422, "empty_text"),
        ({"text": "a\u0000b"}, 422, "invalid_text"),
        ({"text": "x" * 1531}, 422, "text_too_long"),
        ({"text": "ø" * 1531}, 422, "text_too_long"),
        ({"text": "🍕" * 336}, 422, "text_too_long"),
        ({"send_at": past}, 422, "send_at_in_past"),
        ({"send_at": far}, 422, "send_at_too_far"),
        ({"send_at": "2026-12-01T12:00:00"}, 422, "invalid_send_at"),
        ({"validity_minutes": 0}, 422, "invalid_validity"),
        ({"validity_minutes": 20000}, 422, "invalid_validity"),
        ({"keyword": "KEBAB"}, 422, "unknown_keyword"),
        ({"callback_url": "ftp://eksempel.no/x"}, 422, "invalid_callback_url"),
        ({"to": 4791234567}, 422, "validation_error"),
        ({"colour": "red"}, 422, "validation_error"),
    ]
    for change, status, code in cases:
        assert _refusal(client, "/v1/messages", ok | change) == (status, code), change
    assert _refusal(other, "/v1/messages", ok) == (422, "sender_not_allowed")
    assert _refusal(world.admin, "/v1/messages", ok) == (403, "customer_only")  # a permission
    batch = {"from": "2077", "text": "Hei"}
    assert _refusal(client, "/v1/messages/batch", batch | {"to": []}) == (422, "empty_batch")
    too_many = [f"+479{n:07d}" for n in range(1001)]
    assert _refusal(client, "/v1/messages/batch", batch | {"to": too_many})[0] == 422
    # one bad recipient refuses the whole batch, and says which
    answer = client.post("/v1/messages/batch", json=batch | {"to": [PHONE, "nope"]})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_recipient"
    assert answer.json()["error"]["index"] == 1
    outbound = client.get("/v1/messages", params={"direction": "outbound"}).json()
    assert outbound == []  # nothing refused was stored
    # and nothing reached the phones
    assert world.simulator.phones.messages(PHONE) == []


def test_keyword_on_the_message_and_a_dedicated_number(world: World) -> None:
    client, _ = _sender(world)
    owner = world.admin.get("/v1/customers").json()[-1]["id"]
    dedicated = {"number": "2080", "mode": "dedicated", "owner_customer_id": owner}
    assert world.admin.post("/v1/numbers", json=dedicated).status_code == 201
    one = client.post(
        "/v1/messages", json={"from": "2077", "to": PHONE, "text": "a", "keyword": "pizza"}
    )
    two = client.post("/v1/messages", json={"from": "2080", "to": PHONE, "text": "b"})
    assert one.status_code == two.status_code == 202
    assert client.get(f"/v1/messages/{one.json()['id']}").json()["keyword"] == "PIZZA"
    assert two.json()["price_ore"] == 0  # this number's segments are free
    senders = sorted(m.sender for m in _phone_texts(world, PHONE, 2))
    assert senders == ["2077", "2080"]


@pytest.mark.parametrize(("status", "expected"), [(0x0B, "failed")])
def test_a_permanent_smpp_error_fails_the_message_with_its_status(
    database_url: str, status: int, expected: str
) -> None:
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options) as api:
        world = _world(api, refuse_recipients={PHONE.lstrip("+"): status})
        try:
            client, _ = _sender(world)
            accepted = client.post("/v1/messages", json={"from": "2077", "to": PHONE, "text": "x"})
            detail = _wait_status(client, accepted.json()["id"], expected)
            assert "ESME_RINVDSTADR" in detail["error"]
            assert [h["status"] for h in detail["history"]] == ["queued", "failed"]
        finally:
            api.call(world.simulator.stop())


def test_validity_expires_a_message_still_queued(database_url: str) -> None:
    """No operator link: the message waits; once its validity has run out it is expired."""
    clock = FakeClock(datetime.now(UTC))
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options, clock=clock) as api:
        admin = api.admin()
        assert admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"}).is_success
        world = World(api, OperatorSimulator())
        client, _ = _sender(world)
        body = {"from": "2077", "to": PHONE, "text": "Tilbud i dag", "validity_minutes": 5}
        accepted = client.post("/v1/messages", json=body).json()
        expires_at = datetime.fromisoformat(
            client.get(f"/v1/messages/{accepted['id']}").json()["expires_at"]
        )
        assert expires_at == clock.now + timedelta(minutes=5)
        time.sleep(0.5)
        assert client.get(f"/v1/messages/{accepted['id']}").json()["status"] == "queued"
        clock.advance(6 * 60)
        detail = _wait_status(client, accepted["id"], "expired")
        assert [h["status"] for h in detail["history"]] == ["queued", "expired"]


def test_throttling_slows_down_but_loses_nothing(database_url: str) -> None:
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options) as api:
        world = _world(api, throttle_rate=20.0)
        try:
            client, _ = _sender(world)
            phones = [f"+479{n:07d}" for n in range(1, 61)]
            body = {"from": "2077", "to": phones, "text": "Kampanje"}
            assert client.post("/v1/messages/batch", json=body).status_code == 202
            for phone in phones:
                assert [m.text for m in _phone_texts(world, phone, 1, timeout=30)] == ["Kampanje"]
            assert world.simulator.stats["throttled"] > 0
            outbound = client.get(
                "/v1/messages", params={"direction": "outbound", "limit": 100}
            ).json()
            assert {m["status"] for m in outbound} <= {"sent", "delivered"}
        finally:
            api.call(world.simulator.stop())


def test_a_recipient_who_sends_stopp_meanwhile_gets_no_scheduled_message(world: World) -> None:
    client, _ = _sender(world)
    send_at = datetime.now(UTC) + timedelta(seconds=2)
    body = {"from": "2077", "to": PHONE, "text": "Senere", "send_at": send_at.isoformat()}
    accepted = client.post("/v1/messages", json=body).json()
    world.send("STOPP", phone=PHONE.lstrip("+"))
    detail = _wait_status(client, accepted["id"], "failed")
    assert "recipient_opted_out" in detail["error"]
    texts = [m.text for m in world.simulator.phones.messages(PHONE)]
    assert "Senere" not in texts  # only the opt-out confirmation came
