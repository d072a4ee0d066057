"""Inbound SMS end to end on real sockets: a simulator phone texts 2077 over SMPP, the
gateway stores, routes and delivers it to a real webhook receiver, signed."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from standardwebhooks import Webhook

from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from kodeord.domain.retry import RetryPolicy
from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.support import ApiServer, WebhookReceiver, free_port

PHONE = "4798765432"
FAST_RETRY = RetryPolicy(first_delay=0.2, factor=2.0, max_delay=0.5, give_up_after=2.0, jitter=0)


class World:
    """The gateway (API + workers + an operator link) and a simulator in its loop."""

    def __init__(self, api: ApiServer, simulator: OperatorSimulator) -> None:
        self.api = api
        self.simulator = simulator
        self.admin = api.admin()

    def send(self, text: str, to: str = "2077", phone: str = PHONE) -> str:
        async def inject() -> str:
            return self.simulator.send_mo(phone, to, text).id

        mo_id: str = self.api.call(inject())
        return mo_id

    def customer(self, name: str) -> httpx.Client:
        made = self.admin.post("/v1/customers", json={"name": name}).json()
        key = self.admin.post(f"/v1/customers/{made['id']}/api-keys").json()["key"]
        return self.api.client(key)

    def wait_messages(
        self, client: httpx.Client, count: int, status: str | None = None, **params: Any
    ) -> list[dict]:
        """The first `count` messages, once there are that many (all in `status`)."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = client.get("/v1/messages", params=params).json()
            if len(found) >= count and all(status in (None, m["status"]) for m in found):
                return found
            time.sleep(0.05)
        raise AssertionError(f"not {count} messages in {status}: {found}")


class Mailbox:
    """An aiosmtpd handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=default).parsebytes(envelope.content)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def world(database_url: str, mailbox: tuple[Mailbox, int]) -> Iterator[World]:
    options = GatewayOptions(
        webhook_allow_private=True,
        retry_policy=FAST_RETRY,
        smtp_url=f"smtp://127.0.0.1:{mailbox[1]}",
    )
    with ApiServer(database_url, ADMIN_TOKEN, options) as api:
        simulator = OperatorSimulator(SimulatorSettings(receipt_delay=0.01), "127.0.0.1", 0)
        api.call(simulator.start())
        world = World(api, simulator)
        link = {
            "name": "sim",
            "host": "127.0.0.1",
            "port": simulator.port,
            "system_id": "kodeord",
            "password": "kodeord",
            "bind": "transceiver",
            "window": 50,
        }
        assert world.admin.post("/v1/operator-links", json=link).status_code == 201
        _wait_bound(world)
        world.admin.post(
            "/v1/numbers", json={"number": "2077", "mode": "shared", "keyword_fee_ore": 1000}
        )
        yield world
        api.call(simulator.stop())


def _wait_bound(world: World) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        links = world.admin.get("/v1/operator-links").json()
        if links and links[0]["state"] == "bound":
            return
        time.sleep(0.05)
    raise AssertionError(f"the operator link did not bind: {links}")


def _pizza_customer(world: World, url: str) -> tuple[httpx.Client, str]:
    client = world.customer("Pizzeria Napoli AS")
    lease = client.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"}).json()
    route = client.put(f"/v1/keywords/{lease['id']}/route", json={"type": "webhook", "url": url})
    assert route.status_code == 200, route.text
    secret = client.post("/v1/signing-secret").json()["secret"]
    return client, secret


def _verified(secret: str, request: tuple[dict[str, str], bytes]) -> dict[str, Any]:
    headers, body = request
    lowered = {k.lower(): v for k, v in headers.items()}
    verified: dict[str, Any] = Webhook(secret).verify(body, lowered)
    assert verified == json.loads(body)
    return verified


@pytest.mark.parametrize(
    ("text", "keyword", "body", "segments", "encoding"),
    [
        ("pizza 2 margherita", "PIZZA", "2 margherita", 1, "GSM7"),
        (
            "PIZZA " + "Blåbærsyltetøy på pizza, ÆØÅ! " * 10,
            "PIZZA",
            ("Blåbærsyltetøy på pizza, ÆØÅ! " * 10).strip(),
            2,
            "GSM7",
        ),
        ("Pizza 🍕 med ekstra ost", "PIZZA", "🍕 med ekstra ost", 1, "UCS2"),
    ],
)
def test_a_keyword_reaches_its_webhook_signed(
    world: World, text: str, keyword: str, body: str, segments: int, encoding: str
) -> None:
    with WebhookReceiver() as receiver:
        client, secret = _pizza_customer(world, receiver.url)
        mo_id = world.send(text)
        (request,) = receiver.wait_for(1)
        payload = _verified(secret, request)
        assert payload["type"] == "message.received"
        assert (payload["keyword"], payload["body"], payload["text"]) == (keyword, body, text)
        assert payload["from"] == "+" + PHONE and payload["number"] == "2077"
        assert (payload["segments"], payload["encoding"]) == (segments, encoding)
        assert request[0]["webhook-id"] == payload["id"]
        (listed,) = world.wait_messages(client, 1, "delivered", direction="inbound")
        assert listed["keyword"] == keyword
        detail = client.get(f"/v1/messages/{listed['id']}").json()
        assert [a["ok"] for a in detail["attempts"]] == [True]
        assert world.simulator.mo[mo_id].status == "delivered"
        time.sleep(0.3)
        assert len(receiver.requests) == 1  # one delivery, not more


def test_unknown_keyword_goes_to_the_operator_inbox(world: World) -> None:
    client = world.customer("Pizzeria Napoli AS")
    client.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"})
    world.send("KEBAB takk")
    (message,) = world.wait_messages(world.admin, 1, "inbox", direction="inbound")
    assert message["customer_id"] is None
    assert message["route_step"] == "no_match"
    assert client.get("/v1/messages").json() == []


def test_stopp_records_the_opt_out_and_confirms_by_sms(world: World) -> None:
    world.send("STOPP")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        received = world.simulator.phones.messages(PHONE)
        if received:
            break
        time.sleep(0.05)
    (confirmation,) = world.simulator.phones.messages(PHONE)
    assert "2077" in confirmation.text and confirmation.sender == "2077"
    world.wait_messages(world.admin, 1, "opt_out", direction="inbound")
    opted = world.api.call(_opted_out(world.api, "2077", "+" + PHONE))
    assert opted is True


async def _opted_out(api: ApiServer, number: str, phone: str) -> bool:
    async with api.gateway.ctx.storage.read() as tx:
        return phone in await tx.mt_messages.opted_out(number, [phone])


def test_a_receiver_that_is_down_gets_the_message_when_it_is_back(world: World) -> None:
    with WebhookReceiver(status=503) as receiver:
        client, secret = _pizza_customer(world, receiver.url)
        world.send("pizza nå")
        (message,) = world.wait_messages(client, 1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            attempts = client.get(f"/v1/messages/{message['id']}").json()["attempts"]
            if len(attempts) >= 2:
                break
            time.sleep(0.05)
        assert [a["ok"] for a in attempts[:2]] == [False, False]
        assert attempts[0]["error"] == "HTTP 503"
        receiver.status = 200
        (request,) = receiver.wait_for(1)
        assert _verified(secret, request)["body"] == "nå"


def test_an_always_failing_receiver_ends_dead_and_replay_delivers(world: World) -> None:
    with WebhookReceiver(status=500) as receiver:
        _client, secret = _pizza_customer(world, receiver.url)
        world.send("pizza igjen")
        deadline = time.monotonic() + 15
        dead: list[dict[str, Any]] = []
        while not dead and time.monotonic() < deadline:
            dead = world.admin.get("/v1/admin/dead-letters").json()
            time.sleep(0.1)
        (job,) = dead
        assert job["kind"] == "deliver" and job["last_error"] == "HTTP 500"
        receiver.status = 200
        replayed = world.admin.post("/v1/admin/dead-letters/replay", json={"id": job["id"]})
        assert replayed.json() == {"replayed": 1}
        (request,) = receiver.wait_for(1)
        payload = _verified(secret, request)
        assert payload["body"] == "igjen"
        time.sleep(0.3)
        assert len(receiver.requests) == 1
        assert world.admin.get("/v1/admin/dead-letters").json() == []


def test_email_and_sms_destinations(world: World, mailbox: tuple[Mailbox, int]) -> None:
    client = world.customer("Blomster AS")
    roses = client.post("/v1/keywords", json={"number": "2077", "keyword": "ROSER"}).json()
    client.put(
        f"/v1/keywords/{roses['id']}/route", json={"type": "email", "to": "ordre@blomster.example"}
    )
    tulips = client.post("/v1/keywords", json={"number": "2077", "keyword": "TULIPAN"}).json()
    client.put(f"/v1/keywords/{tulips['id']}/route", json={"type": "sms", "to": "41234567"})
    world.send("Roser til mor, blåe og røde 🌹")
    world.send("tulipan 12 gule")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not (
        mailbox[0].messages and world.simulator.phones.messages("4741234567")
    ):
        time.sleep(0.05)
    (mail,) = mailbox[0].messages
    assert mail["To"] == "ordre@blomster.example" and "2077" in mail["Subject"]
    assert mail.get_content().strip() == "Roser til mor, blåe og røde 🌹"
    (forwarded,) = world.simulator.phones.messages("4741234567")
    assert forwarded.text == f"+{PHONE}: tulipan 12 gule" and forwarded.sender == "2077"
    statuses = {m["keyword"]: m["status"] for m in world.wait_messages(client, 2, "delivered")}
    assert statuses == {"ROSER": "delivered", "TULIPAN": "delivered"}


def _metrics(world: World) -> dict[str, float]:
    """Every sample of /metrics by its name and labels (the registry lives as long as the
    process, so tests compare before and after)."""
    samples = {}
    scraped = world.api.admin().get("/metrics")  # behind the admin token by default
    assert scraped.status_code == 200, scraped.text
    for line in scraped.text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_metrics(world: World) -> None:
    before = _metrics(world)
    with WebhookReceiver() as receiver:
        _pizza_customer(world, receiver.url)
        world.send("pizza")
        receiver.wait_for(1)
    world.wait_messages(world.admin, 1, "delivered")
    after = _metrics(world)
    for name in (
        "kodeord_mo_received_total",
        'kodeord_mo_routed_total{outcome="deliver",step="keyword"}',
        'kodeord_deliveries_total{destination="webhook",result="ok"}',
    ):
        assert after[name] - before.get(name, 0.0) == 1.0, name
    assert after['kodeord_operator_link_up{link="sim"}'] == 1.0
    assert after['kodeord_queue_jobs{status="dead"}'] == 0.0


def test_help_text_and_did_you_mean_reply(world: World) -> None:
    client = world.customer("Pizzeria Napoli AS")
    client.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"})
    settings = {
        "help_text": "2077: PIZZA for å bestille. STOPP for å melde av.",
        "reply_unknown": True,
    }
    assert world.admin.put("/v1/numbers/2077/settings", json=settings).status_code == 200
    assert client.put("/v1/numbers/2077/settings", json=settings).status_code == 403
    world.send("hjelp")
    world.send("PIZA takk")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and len(world.simulator.phones.messages(PHONE)) < 2:
        time.sleep(0.05)
    texts = sorted(m.text for m in world.simulator.phones.messages(PHONE))
    assert texts == sorted([settings["help_text"], "Ukjent kodeord. Mente du PIZZA?"])
    inbound = world.admin.get("/v1/messages", params={"direction": "inbound"}).json()
    assert sorted(m["status"] for m in inbound) == ["help", "inbox"]


def test_a_new_number_routes_at_once(world: World) -> None:
    """The router's cache learns of a new number without waiting for its TTL."""
    client = world.customer("Kaffebaren")
    owner = world.admin.get("/v1/customers").json()[-1]["id"]
    world.send("KAFFE", to="2078")
    (first,) = world.wait_messages(world.admin, 1, "inbox", direction="inbound")
    assert first["route_step"] == "unknown_number"
    dedicated = {"number": "2078", "mode": "dedicated", "owner_customer_id": owner}
    assert world.admin.post("/v1/numbers", json=dedicated).status_code == 201
    world.send("kaffe latte", to="2078")
    (message,) = world.wait_messages(client, 1, "delivered")
    assert message["route_step"] == "dedicated" and message["text"] == "kaffe latte"


def test_route_settings_and_secret_changes_apply_to_the_next_message(world: World) -> None:
    """The router caches routes, default routes and signing secrets; a change made through
    the API reaches the very next message, not one a cache lifetime later."""
    with WebhookReceiver() as first, WebhookReceiver() as second:
        client, secret = _pizza_customer(world, first.url)
        world.send("PIZZA en")
        _verified(secret, first.wait_for(1)[0])
        lease = client.get("/v1/keywords").json()[0]
        route = {"type": "webhook", "url": second.url}
        assert client.put(f"/v1/keywords/{lease['id']}/route", json=route).status_code == 200
        world.send("PIZZA to")
        payload = _verified(secret, second.wait_for(1)[0])
        assert payload["text"] == "PIZZA to" and len(first.requests) == 1
        rotated = client.post("/v1/signing-secret").json()["secret"]
        world.send("PIZZA tre")
        payload = _verified(rotated, second.wait_for(2)[1])
        assert payload["text"] == "PIZZA tre"
        # A dedicated number without keyword routes goes to the default route, set now.
        owner = world.admin.get("/v1/customers").json()[-1]["id"]
        dedicated = {"number": "2078", "mode": "dedicated", "owner_customer_id": owner}
        assert world.admin.post("/v1/numbers", json=dedicated).status_code == 201
        world.send("hva som helst", to="2078")
        world.wait_messages(client, 1, "delivered", number="2078")
        settings = {"default_route": {"type": "webhook", "url": first.url}}
        assert client.put("/v1/settings", json=settings).status_code == 200
        world.send("noe annet", to="2078")
        payload = _verified(rotated, first.wait_for(2)[1])
        assert payload["text"] == "noe annet" and payload["number"] == "2078"
