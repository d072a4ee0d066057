"""The operator simulator over real SMPP (our EsmeClient) and its control API over real HTTP."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
import structlog.testing
import uvicorn

from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from kodeord.adapters.smpp_io import EsmeClient, SmppConnection
from kodeord.smpp.constants import CommandStatus, MessageState
from kodeord.smpp.message import compose
from kodeord.smpp.pdu import DataSm, DeliverSm, Pdu, QuerySm, SubmitSm
from kodeord.smpp.receipt import parse_receipt
from kodeord.smpp.tlv import raw_tlvs, tlvs_from_raw
from kodeord.web.simulator_control import create_control_app
from tests.adapters.harness import async_test

S = CommandStatus
PHONE = "4741234567"
_PAYLOAD = tlvs_from_raw({0x0424: b"Hei"})  # message_payload


class Inbox:
    """An ESME's on_request: keeps every deliver_sm, then acknowledges it."""

    def __init__(self, status: int = S.ESME_ROK) -> None:
        self.pdus: list[DeliverSm] = []
        self.status = status
        self.arrived = asyncio.Event()

    async def __call__(self, conn: SmppConnection, pdu: Pdu) -> None:
        assert isinstance(pdu, DeliverSm)
        self.pdus.append(pdu)
        self.arrived.set()
        await conn.respond(pdu, self.status)

    async def wait(self, count: int) -> list[DeliverSm]:
        async with asyncio.timeout(10):
            while len(self.pdus) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.pdus


def _client(sim: OperatorSimulator, inbox: Inbox | None = None, **kw: Any) -> EsmeClient:
    return EsmeClient(
        "127.0.0.1",
        sim.port,
        kw.pop("system_id", "kodeord"),
        kw.pop("password", "kodeord"),
        on_request=inbox,
        **kw,
    )


def _submit(text: str, registered_delivery: int = 1) -> list[SubmitSm]:
    return [
        SubmitSm(
            source_addr="2077",
            destination_addr=PHONE,
            esm_class=p.esm_class_bits,
            data_coding=p.data_coding,
            short_message=p.short_message,
            tlvs=p.tlvs,
            registered_delivery=registered_delivery,
        )
        for p in compose(text, ref=5).parts
    ]


@async_test
async def test_submit_reaches_the_phone_and_a_receipt_comes_back() -> None:
    settings = SimulatorSettings(receipt_delay=0.01, seed=3)
    async with OperatorSimulator(settings, "127.0.0.1", 0) as sim:
        inbox = Inbox()
        async with _client(sim, inbox) as client:
            await client.wait_bound(5)
            (pdu,) = _submit("Hei fra 2077: æøå €")
            response = await client.submit(pdu)
            assert response.command_status == S.ESME_ROK and response.message_id
            (receipt_pdu,) = await inbox.wait(1)
            receipt = parse_receipt(receipt_pdu.short_message, raw_tlvs(receipt_pdu.tlvs))
            assert receipt.message_id == response.message_id
            assert receipt.state is MessageState.DELIVERED
            assert receipt_pdu.esm_class & 0x04
            (message,) = sim.phones.messages("+" + PHONE)
            assert message.text == "Hei fra 2077: æøå €" and message.sender == "2077"
            query = await client.submit(QuerySm(message_id=response.message_id))
            assert query.message_state == MessageState.DELIVERED


@async_test
async def test_long_message_is_reassembled_and_failures_are_reported() -> None:
    settings = SimulatorSettings(receipt_delay=0.01, delivered_share=0.0, hex_message_ids=True)
    async with OperatorSimulator(settings, "127.0.0.1", 0) as sim:
        inbox = Inbox()
        async with _client(sim, inbox) as client:
            await client.wait_bound(5)
            text = "Blåbærsyltetøy € " * 24  # 408 characters: 3 parts
            responses = [await client.submit(p) for p in _submit(text)]
            assert all(r.command_status == S.ESME_ROK for r in responses)
            receipts = [
                parse_receipt(p.short_message, raw_tlvs(p.tlvs)) for p in await inbox.wait(3)
            ]
            assert {r.state for r in receipts} == {MessageState.UNDELIVERABLE}
            assert {r.message_id for r in receipts} == {r.message_id for r in responses}
            (message,) = sim.phones.messages(PHONE)
            assert message.text == text and message.parts == 3


@async_test
async def test_throttling_above_the_configured_rate() -> None:
    settings = SimulatorSettings(throttle_rate=20)
    async with (
        OperatorSimulator(settings, "127.0.0.1", 0) as sim,
        _client(sim, throttle_backoff=0.05) as client,
    ):
        await client.wait_bound(5)
        statuses = [(await client.submit(_submit("x", 0)[0])).command_status for _ in range(10)]
        assert S.ESME_RTHROTTLED in statuses and statuses[0] == S.ESME_ROK
        assert sim.stats["throttled"] == statuses.count(S.ESME_RTHROTTLED)


@async_test
async def test_wrong_password_is_refused() -> None:
    async with (
        OperatorSimulator(SimulatorSettings(), "127.0.0.1", 0) as sim,
        _client(sim, password="wrong", reconnect_delay=0.05) as client,
    ):
        await asyncio.sleep(0.3)
        assert not client.is_bound and sim.stats["submitted"] == 0


@async_test
async def test_mo_waits_for_a_bind_and_is_resent_until_acknowledged() -> None:
    settings = SimulatorSettings(mo_retry_delay=0.05)
    async with OperatorSimulator(settings, "127.0.0.1", 0) as sim:
        record = sim.send_mo("+4798765432", "2077", "PIZZA 2 margherita 😀")
        assert record.encoding == "UCS2" and record.status == "queued"
        refusing = Inbox(status=S.ESME_RX_T_APPN)
        async with _client(sim, refusing) as client:
            await client.wait_bound(5)
            await refusing.wait(2)  # refused, so offered again
        assert record.status == "queued"
        inbox = Inbox()
        async with _client(sim, inbox) as client:
            (pdu, *_) = await inbox.wait(1)
            async with asyncio.timeout(5):
                while record.status != "delivered":
                    await asyncio.sleep(0.01)
        assert pdu.source_addr == "4798765432" and pdu.destination_addr == "2077"
        assert pdu.short_message.decode("utf-16-be") == "PIZZA 2 margherita 😀"


@async_test
async def test_control_api_over_http() -> None:
    settings = SimulatorSettings(receipt_delay=0.01)
    async with OperatorSimulator(settings, "127.0.0.1", 0) as sim:
        config = uvicorn.Config(
            create_control_app(sim), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        inbox = Inbox()
        try:
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
                _client(sim, inbox) as client,
            ):
                await client.wait_bound(5)
                sent = await http.post(
                    f"/phones/{PHONE}/send", json={"to": "2077", "text": "pizza æøå " * 20}
                )
                assert sent.status_code == 202 and sent.json()["parts"] == 2
                await inbox.wait(2)
                for _ in range(100):
                    mo = (await http.get(f"/mo/{sent.json()['id']}")).json()
                    if mo["status"] == "delivered":
                        break
                    await asyncio.sleep(0.02)
                assert mo["status"] == "delivered"
                await client.submit(_submit("Svar: takk!", 0)[0])
                received = (await http.get(f"/phones/+{PHONE}/messages")).json()
                assert [m["text"] for m in received] == ["Svar: takk!"]
                patched = await http.patch("/config", json={"submit_delay": 0.01})
                assert patched.json()["submit_delay"] == 0.01
                stats = (await http.get("/stats")).json()
                assert stats["submitted"] == 1 and stats["mo_delivered"] == 1
                for method, path, body, status, code in [
                    (
                        "POST",
                        "/phones/abc/send",
                        {"to": "2077", "text": "x"},
                        422,
                        "validation_error",
                    ),
                    (
                        "POST",
                        f"/phones/{PHONE}/send",
                        {"to": "20x7", "text": "x"},
                        422,
                        "invalid_recipient",
                    ),
                    ("POST", f"/phones/{PHONE}/send", {"text": "x"}, 422, "validation_error"),
                    ("GET", "/mo/nope", None, 404, "mo_not_found"),
                    ("PATCH", "/config", {"delivered_share": 2}, 422, "validation_error"),
                ]:
                    response = await http.request(method, path, json=body)
                    assert response.status_code == status, (path, response.text)
                    assert response.json()["error"]["code"] == code
        finally:
            server.should_exit = True
            await task


class HoldingInbox(Inbox):
    """Keeps every deliver_sm unanswered until `release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def __call__(self, conn: SmppConnection, pdu: Pdu) -> None:
        assert isinstance(pdu, DeliverSm)
        self.pdus.append(pdu)
        self.arrived.set()
        await self.release.wait()
        await conn.respond(pdu, S.ESME_ROK)


@async_test
async def test_mo_window_is_the_number_of_deliver_sm_outstanding_on_a_bind() -> None:
    settings = SimulatorSettings(delivery_workers=24)  # `--mo-window 24`
    async with OperatorSimulator(settings, "127.0.0.1", 0) as sim:
        records = [sim.send_mo(f"+47980000{n:02d}", "2077", f"STEM {n}") for n in range(40)]
        holding = HoldingInbox()
        async with _client(sim, holding):
            await holding.wait(24)
            await asyncio.sleep(0.2)  # more would have come by now if the window allowed
            assert len(holding.pdus) == 24
            holding.release.set()
            await holding.wait(40)
            async with asyncio.timeout(5):
                while any(record.status != "delivered" for record in records):
                    await asyncio.sleep(0.01)


@async_test
async def test_a_submit_whose_receipt_could_not_be_sent_is_refused_and_nothing_stalls() -> None:
    """data_sm allows 64-character addresses, a receipt's deliver_sm 20: such a submit
    asking for a receipt is refused (not kept), more of them than there are delivery
    workers, and MO and receipts still go out afterwards."""
    settings = SimulatorSettings(receipt_delay=0.0, delivery_workers=4)
    long_address = "4" * 40
    async with OperatorSimulator(settings, "127.0.0.1", 0) as sim:
        inbox = Inbox()
        async with _client(sim, inbox) as client:
            await client.wait_bound(5)
            cases = [
                (DataSm(source_addr="2077", destination_addr=long_address), S.ESME_RINVDSTADR),
                (DataSm(source_addr=long_address, destination_addr=PHONE), S.ESME_RINVSRCADR),
            ]
            for pdu, status in cases * 5:
                asked = dataclasses.replace(pdu, registered_delivery=1, tlvs=_PAYLOAD)
                assert (await client.submit(asked)).command_status == status
            no_receipt = DataSm(source_addr="2077", destination_addr=long_address, tlvs=_PAYLOAD)
            assert (await client.submit(no_receipt)).command_status == S.ESME_ROK
            assert sim.stats["submitted"] == 1
            record = sim.send_mo("+4798765432", "2077", "PIZZA")
            (pdu,) = _submit("Hei")
            assert (await client.submit(pdu)).command_status == S.ESME_ROK
            await inbox.wait(2)  # the MO and the receipt
            async with asyncio.timeout(5):
                while record.status != "delivered":
                    await asyncio.sleep(0.01)


@async_test
async def test_a_delivery_worker_survives_a_message_it_cannot_send() -> None:
    settings = SimulatorSettings(delivery_workers=2)
    async with OperatorSimulator(settings, "127.0.0.1", 0) as sim:
        inbox = Inbox()
        async with _client(sim, inbox) as client:
            await client.wait_bound(5)
            with structlog.testing.capture_logs() as logs:
                bad = [sim.send_mo("+4798765432", "2" * 25, "x") for _ in range(5)]  # > 20
                good = sim.send_mo("+4798765432", "2077", "PIZZA")
                (pdu,) = await inbox.wait(1)
                async with asyncio.timeout(5):
                    while good.status != "delivered":
                        await asyncio.sleep(0.01)
            assert pdu.destination_addr == "2077"
            assert {record.status for record in bad} == {"failed"}
            assert sim.stats["deliver_failed"] == 5
            assert sum(e["event"] == "deliver_sm cannot be sent, dropped" for e in logs) == 5
