"""Kannel, an SMS gateway nobody here wrote, binds to our operator simulator as an ESME:
it sends through its sendsms HTTP interface, receives an MO, and gets receipts — with
Norwegian letters and € (a GSM 03.38 escape pair) intact in both directions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from tests.interop.kannel import BEARERBOX, KannelBoxes, Recorder

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(not Path(BEARERBOX).exists(), reason="Kannel (bearerbox) not installed"),
]

PHONE = "4741234567"
NORWEGIAN = "Hei på deg! Blåbærsyltetøy, ÆØÅ æøå, 25 € [x]"


async def _until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.05)


def test_kannel_sends_receives_and_gets_receipts(tmp_path: Path) -> None:
    async def scenario() -> None:
        settings = SimulatorSettings(receipt_delay=0.05, seed=1)
        async with OperatorSimulator(settings, "127.0.0.1", 0) as simulator:
            with (
                Recorder() as recorder,
                KannelBoxes(
                    tmp_path, "127.0.0.1", simulator.port, "kodeord", "kodeord", recorder.url("/mo")
                ) as kannel,
            ):
                await asyncio.to_thread(kannel.wait_online)
                dlr_url = recorder.url("/dlr") + "?status=%d&smsc_id=%F&to=%p"
                sent = await asyncio.to_thread(
                    kannel.sendsms, PHONE, NORWEGIAN, **{"dlr-mask": "3", "dlr-url": dlr_url}
                )
                assert sent.status_code == 202, sent.text
                await _until(lambda: simulator.phones.messages(PHONE))
                (message,) = simulator.phones.messages(PHONE)
                assert message.text == NORWEGIAN and message.sender == "2077"

                (dlr,) = await asyncio.to_thread(recorder.wait_for, "/dlr", 1)
                assert dlr.query["status"] == ["1"]  # Kannel's "delivered to phone"
                assert dlr.query["to"] == [PHONE]

                long_text = "Langt svar med æøå og € " * 13  # 312 characters: 3 parts
                sent = await asyncio.to_thread(kannel.sendsms, PHONE, long_text)
                assert sent.status_code == 202, sent.text
                await _until(lambda: len(simulator.phones.messages(PHONE)) == 2)
                long = simulator.phones.messages(PHONE)[1]
                assert long.text == long_text and long.parts == 3

                mo = simulator.send_mo("+4798765432", "2077", "Blåbær € bestilling")
                (received,) = await asyncio.to_thread(recorder.wait_for, "/mo", 1)
                assert received.query["from"] == ["+4798765432"]  # TON 1: Kannel adds +
                assert received.query["to"] == ["2077"]
                charset = received.query["charset"][0] or "UTF-8"
                text = received.query["text"][0].encode("latin-1").decode(charset)
                assert text == "Blåbær € bestilling"
                await _until(lambda: mo.status == "delivered")
                assert simulator.stats["receipts_sent"] == 1  # only the first asked for one

    asyncio.run(scenario())
