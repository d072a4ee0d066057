"""The SMPP server for customers, with smpplib (PyPI, written by others) as the customer:
it binds with an account the admin API issued, submits, gets our message id, its
receipt on the same bind, and MO of its keyword as deliver_sm. Refusals are SMPP
statuses. Real sockets: the simulator's phone is the recipient."""

from __future__ import annotations

import concurrent.futures
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

from kodeord.app.binds import accounts as accounts_module
from kodeord.config import HostPort, Settings
from kodeord.smpp import text as smtext
from kodeord.smpp.constants import CommandStatus
from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.inbound.test_inbound_e2e import World
from tests.outbound.test_outbound_e2e import FAST_RETRY, _phone_texts, _wait_status, _world
from tests.support import ApiServer, free_port

pytestmark = pytest.mark.interop
S = CommandStatus
PHONE = "4791234567"
NORWEGIAN = "Hei på deg ÆØÅ æøå €"


class Esme:
    """smpplib bound to the gateway, in this (test) thread; records what it reads."""

    def __init__(self, port: int, system_id: str, password: str, bind: str = "transceiver"):
        self.client = smpplib.client.Client(
            "127.0.0.1", port, timeout=1, allow_unknown_opt_params=True
        )
        self.responses: list[Any] = []
        self.delivered: list[Any] = []
        self.client.set_message_sent_handler(lambda pdu: self.responses.append(pdu))
        self.client.set_message_received_handler(lambda pdu: self.delivered.append(pdu))
        self.client.set_error_pdu_handler(lambda pdu: None)  # error resps are results here
        self.client.connect()
        try:
            getattr(self.client, f"bind_{bind}")(system_id=system_id, password=password)
        except BaseException:
            self.client.disconnect()
            raise

    def submit(self, sender: str, to: str, text: str, **fields: Any) -> Any:
        """Submit `text` (GSM 03.38 or UCS-2 parts made by smpplib); the last part's resp."""
        parts, coding, esm_class = smpplib.gsm.make_parts(text)
        before = len(self.responses)
        for part in parts:
            self.client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_UNK,
                source_addr=sender,
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                destination_addr=to,
                short_message=part,
                data_coding=coding,
                esm_class=esm_class,
                registered_delivery=1,
                **fields,
            )
        self.read_until(lambda: len(self.responses) >= before + len(parts))
        return self.responses[-1]

    def read_until(self, done: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise AssertionError("smpplib did not get what it waited for")
            self.client.read_once()  # a socket timeout sends enquire_link and returns

    def close(self) -> None:
        try:
            self.client.unbind()
        finally:
            self.client.disconnect()


def bind_error(port: int, system_id: str, password: str) -> int:
    with pytest.raises(smpplib.exceptions.PDUError) as caught:
        Esme(port, system_id, password).close()
    status: int = caught.value.args[1]
    return status


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options, smpp=True) as api:
        world = _world(api)
        yield world
        api.call(world.simulator.stop())


def customer(world: World, name: str, keyword: str | None = "PIZZA") -> tuple[int, httpx.Client]:
    made = world.admin.post("/v1/customers", json={"name": name}).json()
    key = world.admin.post(f"/v1/customers/{made['id']}/api-keys").json()["key"]
    client = world.api.client(key)
    if keyword:
        lease = client.post("/v1/keywords", json={"number": "2077", "keyword": keyword})
        assert lease.status_code == 201, lease.text
    return made["id"], client


def account(world: World, customer_id: int, **body: Any) -> dict[str, Any]:
    made = world.admin.post(f"/v1/customers/{customer_id}/smpp-accounts", json=body or None)
    assert made.status_code == 201, made.text
    issued: dict[str, Any] = made.json()
    return issued


def test_smpplib_submits_gets_our_id_and_its_receipt(world: World) -> None:
    customer_id, client = customer(world, "Pizzeria Napoli AS")
    issued = account(world, customer_id)
    assert len(issued["system_id"]) <= 15 and len(issued["password"]) == 8
    listed = world.admin.get(f"/v1/customers/{customer_id}/smpp-accounts").json()
    assert [a["system_id"] for a in listed] == [issued["system_id"]]
    assert "password" not in listed[0]

    esme = Esme(world.api.smpp_port, issued["system_id"], issued["password"])
    try:
        resp = esme.submit("2077", PHONE, NORWEGIAN)
        assert (resp.command, resp.status) == ("submit_sm_resp", S.ESME_ROK)
        message_id = int(resp.message_id)
        (received,) = _phone_texts(world, PHONE, 1)
        assert received.text == NORWEGIAN and received.sender == "2077"
        detail = _wait_status(client, message_id, "delivered")
        assert detail["text"] == NORWEGIAN and detail["to"] == "+" + PHONE

        esme.read_until(lambda: len(esme.delivered) == 1)
        (dlr,) = esme.delivered
        assert dlr.esm_class & 0x3C == 0x04  # a delivery receipt
        assert dlr.receipted_message_id.rstrip(b"\x00") == str(message_id).encode()
        assert dlr.message_state == 2  # DELIVERED
        receipt = dlr.short_message.decode("ascii")
        assert receipt.startswith(f"id:{message_id} sub:001 dlvrd:001 submit date:")
        assert " stat:DELIVRD err:000" in receipt
        assert (dlr.source_addr, dlr.destination_addr) == (PHONE.encode(), b"2077")

        long_text = "Lang melding med æøå, sendt i flere deler. " * 7  # 2 parts
        resp = esme.submit("2077", PHONE, long_text)
        assert resp.status == S.ESME_ROK
        long = _phone_texts(world, PHONE, 2)[1]
        assert long.text == long_text and long.parts == 2
        _wait_status(client, int(resp.message_id), "delivered")
    finally:
        esme.close()


def test_refusals_are_smpp_statuses(world: World) -> None:
    customer_id, _ = customer(world, "Pizzeria Napoli AS")
    other_id, _ = customer(world, "Konkurrenten AS", keyword=None)
    dedicated = {"number": "2079", "mode": "dedicated", "owner_customer_id": other_id}
    assert world.admin.post("/v1/numbers", json=dedicated).status_code == 201
    issued = account(world, customer_id, system_id="napoli")
    assert issued["system_id"] == "napoli"
    taken = world.admin.post(
        f"/v1/customers/{other_id}/smpp-accounts", json={"system_id": "napoli"}
    )
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "system_id_taken")
    missing = world.admin.post("/v1/customers/999/smpp-accounts")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "customer_not_found")
    bad = world.admin.post(f"/v1/customers/{customer_id}/smpp-accounts", json={"system_id": "a b"})
    assert bad.status_code == 422

    port = world.api.smpp_port
    assert bind_error(port, "napoli", "wrong!") == S.ESME_RINVPASWD
    assert bind_error(port, "nobody", issued["password"]) == S.ESME_RINVPASWD  # the same

    world.send("STOPP", phone="4790000001")
    _phone_texts(world, "4790000001", 1)  # the confirmation: the opt-out is stored
    cases = [
        ({"sender": "2079"}, S.ESME_RINVSRCADR),  # another customer's dedicated number
        ({"sender": "9999"}, S.ESME_RINVSRCADR),
        ({"to": "12"}, S.ESME_RINVDSTADR),
        ({"to": "4790000001"}, S.ESME_RX_P_APPN),  # opted out with STOPP
        ({"text": "x" * 1531}, S.ESME_RINVMSGLEN),
        ({"schedule_delivery_time": "tomorrow"}, S.ESME_RINVSCHED),
        ({"schedule_delivery_time": "000000010000000R"}, S.ESME_ROK),  # in an hour
        ({"validity_period": "000000000000000R"}, S.ESME_RINVEXPIRY),  # zero minutes
        ({"validity_period": "000001000000000R"}, S.ESME_ROK),  # a day
    ]
    esme = Esme(port, "napoli", issued["password"], bind="transmitter")
    try:
        for change, status in cases:
            submit = {"sender": "2077", "to": PHONE, "text": "Hei", **change}
            resp = esme.submit(submit.pop("sender"), submit.pop("to"), submit.pop("text"), **submit)
            assert resp.status == status, (change, resp.status)
    finally:
        esme.close()


def test_mo_of_an_smpp_route_arrives_as_deliver_sm(world: World) -> None:
    customer_id, client = customer(world, "Pizzeria Napoli AS")
    (lease,) = client.get("/v1/keywords").json()
    route = client.put(f"/v1/keywords/{lease['id']}/route", json={"type": "smpp"})
    assert route.status_code == 200, route.text
    issued = account(world, customer_id)
    esme = Esme(world.api.smpp_port, issued["system_id"], issued["password"], bind="receiver")
    try:
        world.send("PIZZA med ekstra ost, æøå €", phone="4798765432")
        esme.read_until(lambda: len(esme.delivered) == 1)
        (mo,) = esme.delivered
        assert (mo.source_addr, mo.destination_addr) == (b"4798765432", b"2077")
        assert mo.data_coding == 0
        assert (
            smtext.decode(mo.short_message, smtext.Encoding.GSM7) == "PIZZA med ekstra ost, æøå €"
        )
        (message,) = client.get("/v1/messages", params={"direction": "inbound"}).json()
        detail = _wait_status(client, message["id"], "delivered")
        assert detail["attempts"][-1]["destination"] == "smpp"
    finally:
        esme.close()


def test_a_revoked_account_cannot_bind_and_its_bind_is_closed(world: World) -> None:
    customer_id, _ = customer(world, "Pizzeria Napoli AS")
    issued = account(world, customer_id)
    esme = Esme(world.api.smpp_port, issued["system_id"], issued["password"])
    smpp = world.api.gateway.customer_smpp
    assert len(smpp.receivers(customer_id)) == 1
    revoked = world.admin.delete(f"/v1/smpp-accounts/{issued['system_id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert smpp.receivers(customer_id) == []
    esme.client.disconnect()
    status = bind_error(world.api.smpp_port, issued["system_id"], issued["password"])
    assert status == S.ESME_RINVPASWD  # as for any unknown account
    gone = world.admin.delete("/v1/smpp-accounts/nobody")
    assert gone.status_code == 404


@pytest.mark.parametrize(
    ("esm_class", "short_message", "status"),
    [
        (0x40, b"\x50Hei", S.ESME_RINVMSGLEN),  # UDHL 80 in a 4-octet message
        (0x40, b"\x03\x00\x03\x01Hei", S.ESME_RINVMSGLEN),  # the IE runs past the UDH
        (0x40, b"", S.ESME_RINVESMCLASS),  # UDHI set, no user data at all
    ],
    ids=["udhl", "element", "empty"],
)
def test_a_udh_that_does_not_fit_is_refused_and_nothing_is_sent(
    world: World, esm_class: int, short_message: bytes, status: int
) -> None:
    customer_id, client = customer(world, "Pizzeria Napoli AS")
    issued = account(world, customer_id)
    esme = Esme(world.api.smpp_port, issued["system_id"], issued["password"], "transmitter")
    try:
        esme.client.send_message(
            source_addr="2077",
            destination_addr=PHONE,
            esm_class=esm_class,
            short_message=short_message,
        )
        esme.read_until(lambda: len(esme.responses) == 1)
        assert esme.responses[0].status == status
        assert esme.submit("2077", PHONE, "Hei").status == S.ESME_ROK  # the bind goes on
    finally:
        esme.close()
    assert [m["text"] for m in client.get("/v1/messages").json()] == ["Hei"]


def test_password_checks_run_one_at_a_time_and_unknown_accounts_cost_one_too(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flood of binds (here for accounts that do not exist) takes one core, not all."""
    running, most, checked = [0], [0], []
    lock = threading.Lock()
    real = accounts_module.password_matches

    def watched(password: str, stored: str) -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            checked.append(password)
        try:
            return real(password, stored)
        finally:
            with lock:
                running[0] -= 1

    def refused(i: int) -> int:
        port = world.api.smpp_port
        client = smpplib.client.Client("127.0.0.1", port, timeout=20, allow_unknown_opt_params=True)
        client.connect()
        try:
            with pytest.raises(smpplib.exceptions.PDUError) as caught:
                client.bind_transmitter(system_id=f"ghost{i}", password=f"pw{i}")
        finally:
            client.disconnect()
        status: int = caught.value.args[1]
        return status

    monkeypatch.setattr(accounts_module, "password_matches", watched)
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(refused, range(6)))
    assert statuses == [S.ESME_RINVPASWD] * 6
    assert sorted(checked) == [f"pw{i}" for i in range(6)]  # as slow as a real account
    assert most[0] == 1


def test_an_smpp_address_in_use_ends_with_a_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        command = [
            *(sys.executable, "-m", "kodeord", "serve", "--no-simulator"),
            *("--http", f"127.0.0.1:{free_port()}", "--smpp", busy),
        ]
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on {busy} (--smpp)".encode() in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("options", "env", "expected"),
    [
        ({}, None, HostPort("127.0.0.1", 2775)),
        ({"smpp": "0.0.0.0:2775"}, None, HostPort("0.0.0.0", 2775)),
        ({}, "127.0.0.1:3775", HostPort("127.0.0.1", 3775)),
        ({}, "off", None),
        ({"no_smpp": True}, None, None),
        (
            {"smpp": "127.0.0.1:4775", "simulator_smpp": "127.0.0.1:5775"},
            None,
            HostPort("127.0.0.1", 4775),
        ),
    ],
)
def test_the_smpp_address_setting(
    monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], env: str | None, expected: Any
) -> None:
    if env is None:
        monkeypatch.delenv("KODEORD_SMPP", raising=False)
    else:
        monkeypatch.setenv("KODEORD_SMPP", env)
    assert Settings.load(**options).smpp == expected
