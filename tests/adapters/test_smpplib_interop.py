"""Interop: smpplib (PyPI, written by others) as the ESME against our SmscServer.

smpplib is blocking, so it runs in a worker thread (asyncio.to_thread) while the server
runs in the test's event loop. The GSM text is encoded by smpplib's own splitter and
checked against ours, so two independent GSM 03.38 tables must agree on æøå and €.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm

from kodeord.adapters.smpp_io import SmppConnection
from kodeord.smpp import text
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import DeliverSm, DeliverSmResp, Pdu, SubmitSm
from tests.adapters.harness import PASSWORD, SYSTEM_ID, Authenticator, async_test, eventually, smsc

pytestmark = pytest.mark.interop
S = CommandStatus
NORWEGIAN = "Blåbærsyltetøy fra Ærø: 20€ [Å]"


def smpplib_client(port: int) -> smpplib.client.Client:
    return smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)


class Recorder:
    def __init__(self) -> None:
        self.received: list[Pdu] = []

    async def __call__(self, conn: SmppConnection, pdu: Pdu) -> None:
        self.received.append(pdu)
        await conn.respond(pdu, S.ESME_ROK, message_id="kodeord-42")


def bind_and_submit(port: int, bind: str) -> dict[str, Any]:
    """In a thread: bind with smpplib, submit NORWEGIAN in GSM 03.38, read the answer."""
    client = smpplib_client(port)
    client.connect()
    try:
        bind_resp = getattr(client, f"bind_{bind}")(system_id=SYSTEM_ID, password=PASSWORD)
        parts, encoding, esm_class = smpplib.gsm.make_parts(NORWEGIAN)
        submit = client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_INTL,
            source_addr="4741234567",
            dest_addr_ton=smpplib.consts.SMPP_TON_UNK,
            destination_addr="2077",
            short_message=parts[0],
            data_coding=encoding,
            esm_class=esm_class,
        )
        resp = client.read_pdu()
        client.unbind()
        return {"bind": bind_resp, "resp": resp, "sequence": submit.sequence}
    finally:
        client.disconnect()


@pytest.mark.parametrize("bind", ["transmitter", "transceiver"])
@async_test
async def test_smpplib_binds_and_submits_gsm_text(bind: str) -> None:
    recorder = Recorder()
    auth = Authenticator()
    async with smsc(recorder, authenticate=auth, system_id="kodeord") as (server, port):
        result = await asyncio.to_thread(bind_and_submit, port, bind)
        await eventually(lambda: server.connections == [])  # smpplib unbound

    assert result["bind"].command == f"bind_{bind}_resp" and result["bind"].status == 0
    assert result["bind"].system_id == b"kodeord"
    [attempt] = auth.attempts
    assert (attempt.system_id, attempt.password, attempt.bind_type) == (SYSTEM_ID, PASSWORD, bind)

    [submit] = recorder.received
    assert isinstance(submit, SubmitSm)
    assert (submit.source_addr, submit.destination_addr, submit.data_coding) == (
        "4741234567",
        "2077",
        0,
    )
    assert submit.short_message == text.encode(NORWEGIAN, text.Encoding.GSM7)  # both tables agree
    assert text.decode(submit.short_message, text.Encoding.GSM7) == NORWEGIAN

    resp = result["resp"]
    assert (resp.command, resp.status, resp.message_id) == ("submit_sm_resp", 0, b"kodeord-42")
    assert resp.sequence == result["sequence"] == submit.sequence_number  # its own numbering


def bind_with(
    port: int, password: str, system_id: str = SYSTEM_ID
) -> tuple[smpplib.exceptions.PDUError, bytes]:
    """Bind once (refused), then try to read on: what the server sent after its answer."""
    client = smpplib_client(port)
    client.connect()
    try:
        with pytest.raises(smpplib.exceptions.PDUError) as caught:
            client.bind_transmitter(system_id=system_id, password=password)
        client._socket.settimeout(5)
        return caught.value, client._socket.recv(16)
    finally:
        client.disconnect()


@pytest.mark.parametrize(
    ("system_id", "password"), [(SYSTEM_ID, "guess"), ("nobody", PASSWORD)], ids=["password", "id"]
)
@async_test
async def test_smpplib_with_wrong_credentials_is_refused_and_disconnected(
    system_id: str, password: str
) -> None:
    auth = Authenticator()
    async with smsc(authenticate=auth) as (server, port):
        error, after = await asyncio.to_thread(bind_with, port, password, system_id)
        assert server.connections == []
    assert error.args[1] == S.ESME_RINVPASWD  # the same status for both (smpplib reports
    assert after == b""  # what we sent); then the server hung up: one try per connection
    assert [(a.system_id, a.password) for a in auth.attempts] == [(system_id, password)]


def receive_one_deliver_sm(port: int, bound: threading.Event, seen: list[Any]) -> None:
    """In a thread: bind as transceiver, answer one deliver_sm (smpplib acks it), unbind."""
    client = smpplib_client(port)
    client.set_message_received_handler(lambda pdu: seen.append(pdu))
    client.connect()
    try:
        client.bind_transceiver(system_id=SYSTEM_ID, password=PASSWORD)
        bound.set()
        client.read_once()  # the deliver_sm: handler, then deliver_sm_resp
        client.unbind()
    finally:
        client.disconnect()


@async_test
async def test_deliver_sm_to_smpplib_is_acknowledged() -> None:
    bound = threading.Event()
    seen: list[Any] = []
    async with smsc(Recorder()) as (server, port):
        receiving = asyncio.create_task(
            asyncio.to_thread(receive_one_deliver_sm, port, bound, seen)
        )
        await eventually(lambda: bound.is_set() and len(server.bound(SYSTEM_ID)) == 1)
        [conn] = server.bound(SYSTEM_ID)
        mo = DeliverSm(
            source_addr="4741234567",
            destination_addr="2077",
            short_message=text.encode(NORWEGIAN, text.Encoding.GSM7),
        )
        response = await conn.request(mo)
        await receiving
    assert isinstance(response, DeliverSmResp) and response.command_status == S.ESME_ROK
    [pdu] = seen
    assert (pdu.source_addr, pdu.destination_addr) == (b"4741234567", b"2077")
    assert pdu.short_message == text.encode(NORWEGIAN, text.Encoding.GSM7)
