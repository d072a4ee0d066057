"""Kannel (bearerbox + smsbox, Debian's `kannel`) as a customer: it binds to the gateway's
SMPP server for customers with an account the admin API issued and sends through it. A
sendsms with Norwegian letters reaches the simulator's phone intact, a 300-character
text (which Kannel splits into UDH parts) arrives whole, the receipt comes back to
Kannel as "delivered", and an MO of the customer's keyword (route `smpp`) reaches
Kannel's MO URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inbound.test_inbound_e2e import World
from tests.interop.kannel import BEARERBOX, KannelBoxes, Recorder
from tests.outbound.test_customer_smpp import account, customer
from tests.outbound.test_customer_smpp import world as world  # the same fixture
from tests.outbound.test_outbound_e2e import _phone_texts, _wait_status

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not Path(BEARERBOX).exists(), reason="Kannel (bearerbox) not installed"),
]

PHONE = "4741234567"
GREETING = "Hilsen fra Kannel: ÆØÅ æøå"


def test_kannel_binds_as_a_customer_and_sends_through_the_gateway(
    world: World, tmp_path: Path
) -> None:
    customer_id, client = customer(world, "Kannel Kunde AS")
    (lease,) = client.get("/v1/keywords").json()
    assert client.put(f"/v1/keywords/{lease['id']}/route", json={"type": "smpp"}).status_code == 200
    issued = account(world, customer_id)
    port = world.api.smpp_port
    with (
        Recorder() as recorder,
        KannelBoxes(
            tmp_path,
            "127.0.0.1",
            port,
            issued["system_id"],
            issued["password"],
            recorder.url("/mo"),
        ) as kannel,
    ):
        kannel.wait_online()
        dlr_url = recorder.url("/dlr") + "?status=%d&to=%p"
        sent = kannel.sendsms(PHONE, GREETING, **{"dlr-mask": "3", "dlr-url": dlr_url})
        assert sent.status_code == 202, sent.text
        (received,) = _phone_texts(world, PHONE, 1, timeout=30)
        assert received.text == GREETING and received.sender == "2077"
        (outbound,) = client.get("/v1/messages", params={"direction": "outbound"}).json()
        assert outbound["origin"] == f"smpp:{issued['system_id']}"
        _wait_status(client, outbound["id"], "delivered")
        (dlr,) = recorder.wait_for("/dlr", 1)
        assert dlr.query["status"] == ["1"]  # Kannel's "delivered to phone"

        long_text = "Langt svar fra Kannel med æøå og ÆØÅ. " * 8  # 304 characters
        sent = kannel.sendsms(PHONE, long_text)
        assert sent.status_code == 202, sent.text
        long = _phone_texts(world, PHONE, 2, timeout=30)[1]
        assert long.text == long_text and long.parts == 2  # our own split: 153 + 151

        world.send("PIZZA fra mobilen: blåbær", phone="4798765432")
        (mo,) = recorder.wait_for("/mo", 1)
        assert mo.query["from"] == ["+4798765432"]  # TON 1: Kannel adds +
        assert mo.query["to"] == ["2077"]
        charset = mo.query["charset"][0] or "UTF-8"
        assert mo.query["text"][0].encode("latin-1").decode(charset) == "PIZZA fra mobilen: blåbær"
