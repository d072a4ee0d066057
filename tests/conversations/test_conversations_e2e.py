"""Conversations without a keyword, end to end over SMPP through the built-in operator
simulator (SQLite, and PostgreSQL when its URL is set): a number with dialog IDs answers
from number + suffix and the phone's plain answer reaches the same customer; without
dialog IDs an open session does it when exactly one customer qualifies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from kodeord.wiring import GatewayOptions
from tests.conversations.support import ADMIN_TOKEN, World, wait_bound
from tests.support import ApiServer

PHONE = "+4791234567"
OTHER_PHONE = "+4741234567"


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    options = GatewayOptions(webhook_allow_private=True)
    with ApiServer(database_url, ADMIN_TOKEN, options, simulator=True) as server:
        wait_bound(server)
        yield World(server)


def test_a_dialog_id_carries_the_phones_plain_answer_to_the_same_customer(world: World) -> None:
    world.number("2077", dialog_ids=True)
    napoli = world.customer("Napoli", "PIZZA", "2077")
    olsen = world.customer("Olsen", "SKO", "2077")
    world.text(PHONE, "2077", "PIZZA en margherita takk")
    order = world.inbound(napoli, "PIZZA en margherita takk")
    assert order["route_step"] == "keyword"

    answer = napoli.post("/v1/messages", json={"reply_to": order["id"], "text": "Klar 18:30?"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["from"] == "2077" and answer.json()["to"] == PHONE
    (got,) = world.received(PHONE, 1)
    assert re.fullmatch(r"2077\d{4}", got.sender) and got.text == "Klar 18:30?"

    world.text(PHONE, got.sender, "ja")  # no keyword: the dialog ID tells whose it is
    yes = world.inbound(napoli, "ja")
    assert yes["route_step"] == "dialog" and yes["number"] == "2077"

    again = napoli.post("/v1/messages", json={"reply_to": yes["id"], "text": "Takk!"})
    assert again.status_code == 202
    assert world.received(PHONE, 2)[1].sender == got.sender  # the conversation keeps it

    started = olsen.post(
        "/v1/messages",
        json={"from": "2077", "to": PHONE, "text": "Skoene er klare", "conversation": True},
    )
    assert started.status_code == 202
    other = world.received(PHONE, 3)[2]
    assert re.fullmatch(r"2077\d{4}", other.sender) and other.sender != got.sender
    world.text(PHONE, other.sender, "henter i morgen")
    assert world.inbound(olsen, "henter i morgen")["route_step"] == "dialog"

    world.text(PHONE, "2077", "hei")  # the bare number: nobody's, the operator inbox
    unmatched = world.inbound(world.server.admin(), "hei")
    assert unmatched["customer_id"] is None and unmatched["route_step"] == "no_match"


def test_an_open_session_carries_the_answer_when_one_customer_qualifies(world: World) -> None:
    world.number("2078")
    napoli = world.customer("Napoli", "PIZZA", "2078")
    olsen = world.customer("Olsen", "SKO", "2078")
    assert napoli.put("/v1/settings", json={"session_window_minutes": 60}).status_code == 200
    sent = napoli.post("/v1/messages", json={"from": "2078", "to": PHONE, "text": "Bordet?"})
    assert sent.status_code == 202
    assert world.received(PHONE, 1)[0].sender == "2078"
    world.text(PHONE, "2078", "to personer")
    assert world.inbound(napoli, "to personer")["route_step"] == "session"

    assert olsen.put("/v1/settings", json={"session_window_minutes": 60}).status_code == 200
    olsen.post("/v1/messages", json={"from": "2078", "to": PHONE, "text": "Skoene?"})
    world.received(PHONE, 2)
    world.text(PHONE, "2078", "hvem er dette")  # two customers qualify: nobody's
    unmatched = world.inbound(world.server.admin(), "hvem er dette")
    assert unmatched["customer_id"] is None

    world.text(OTHER_PHONE, "2078", "hallo")  # a phone nobody wrote to
    assert world.inbound(world.server.admin(), "hallo")["customer_id"] is None


def test_answers_are_refused_clearly(world: World) -> None:
    world.number("2077", dialog_ids=True)
    napoli = world.customer("Napoli", "PIZZA", "2077")
    olsen = world.customer("Olsen", "SKO", "2077")
    world.text(PHONE, "2077", "PIZZA hei")
    order = world.inbound(napoli, "PIZZA hei")
    cases = [
        (olsen, {"reply_to": order["id"], "text": "x"}, "unknown_reply_to", "reply_to"),
        (napoli, {"reply_to": 10**12, "text": "x"}, "unknown_reply_to", "reply_to"),
        (napoli, {"reply_to": order["id"], "to": OTHER_PHONE}, "reply_to_mismatch", "to"),
        (napoli, {"text": "x", "to": PHONE}, "missing_field", "from"),
        (napoli, {"text": "x", "from": "2077"}, "missing_field", "to"),
    ]
    for client, body, code, field in cases:
        refused = client.post("/v1/messages", json={"text": "x", **body})
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["code"] == code
        assert refused.json()["error"].get("field") == field


def test_concurrent_conversations_get_different_suffixes(world: World) -> None:
    world.number("2077", dialog_ids=True)
    napoli = world.customer("Napoli", "PIZZA", "2077")
    phones = [f"+47900000{n:02d}" for n in range(40)]

    def start(phone: str) -> int:
        body = {"from": "2077", "to": phone, "text": "Hei", "conversation": True}
        return napoli.post("/v1/messages", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(start, phones)) == {202}
    senders = {world.received(phone, 1)[0].sender for phone in phones}
    assert len(senders) == len(phones)
    assert all(re.fullmatch(r"2077\d{4}", sender) for sender in senders)
