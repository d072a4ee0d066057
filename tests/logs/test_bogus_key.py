"""The bogus-key freeze: a bearer token shaped like an API key whose id exceeds BIGINT.

It raised OverflowError before authentication; the 500's traceback, rendered by Rich
with every local variable, blocked the gateway's event loop for 6-8 s per request, and
an operator's MO waited that long for its deliver_sm_resp. Now the key is refused as
not ours (401 invalid_token) and the loop stays free: here the gateway runs as a real
process bound over SMPP to an SMSC in this test, which times each deliver_sm_resp while
the requests come in.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from kodeord.adapters.smpp_io.connection import SmppConnection
from kodeord.adapters.smpp_io.server import BindRequest, SmscServer
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import DeliverSm, Pdu
from tests.logs.gateway import ADMIN_TOKEN, gateway
from tests.support import async_test_within

BOGUS = "ko_9999999999999999999_" + "a" * 24
REQUESTS = 50
AT_ONCE = 5  # bogus requests in flight together
MO_PAUSE = 0.01  # between one MO's deliver_sm_resp and the next deliver_sm
RESP_WITHIN = 0.100  # the bound for a deliver_sm_resp
ANSWER_WITHIN = 1.0  # a generous bound for each 401 (it was 6-8 s, as a 500)


class Operator:
    """An SMSC on 127.0.0.1 that the gateway binds to as its operator link."""

    def __init__(self) -> None:
        self.server = SmscServer(
            "127.0.0.1",
            0,
            authenticate=self._accept,
            on_request=self._on_request,
            system_id="operator",
        )
        self.port = 0

    async def __aenter__(self) -> Operator:
        _, self.port = await self.server.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.server.stop()

    async def _accept(self, _bind: BindRequest) -> int:
        return CommandStatus.ESME_ROK

    async def _on_request(self, conn: SmppConnection, pdu: Pdu) -> None:
        await conn.respond(pdu)  # no MT is sent in this test; answer anything

    async def wait_bound(self, seconds: float) -> SmppConnection:
        deadline = time.monotonic() + seconds
        while not self.server.bound("kodeord"):
            assert time.monotonic() < deadline, "the gateway did not bind"
            await asyncio.sleep(0.05)
        return self.server.bound("kodeord")[0]

    async def mo(self, conn: SmppConnection, text: str) -> tuple[float, int]:
        """Send one MO; (seconds until its deliver_sm_resp, its command_status)."""
        pdu = DeliverSm(
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr="4798765432",
            destination_addr="2077",
            short_message=text.encode(),
        )
        started = time.perf_counter()
        response = await conn.request(pdu, timeout=30)
        return time.perf_counter() - started, response.command_status


async def _setup(http: httpx.AsyncClient, operator_port: int) -> None:
    link = {
        "name": "operator",
        "host": "127.0.0.1",
        "port": operator_port,
        "system_id": "kodeord",
        "password": "linkpw",
        "bind": "transceiver",
    }
    assert (await http.post("/v1/operator-links", json=link)).status_code == 201
    number = {"number": "2077", "mode": "shared"}
    assert (await http.post("/v1/numbers", json=number)).status_code == 201


# The attacker is a process of its own, so its HTTP client does not share this test's
# event loop (and the GIL) with the operator whose deliver_sm_resp times are measured.
ATTACKER = f"""
import json, sys, time
from concurrent.futures import ThreadPoolExecutor
import httpx

def one(client):
    started = time.perf_counter()
    response = client.get("/v1/numbers", headers={{"Authorization": "Bearer {BOGUS}"}})
    return time.perf_counter() - started, response.status_code, response.json()

with httpx.Client(base_url=sys.argv[1], timeout=30) as client:
    with ThreadPoolExecutor({AT_ONCE}) as pool:
        print(json.dumps(list(pool.map(lambda _: one(client), range({REQUESTS})))))
"""


async def _attack(base_url: str) -> list[tuple[float, int, dict]]:
    attacker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", ATTACKER, base_url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await attacker.communicate()
    assert attacker.returncode == 0
    return [tuple(answer) for answer in json.loads(out)]


@async_test_within(120)
async def test_bogus_keys_answer_401_at_once_while_mo_flows(tmp_path: Path) -> None:
    with gateway(tmp_path) as running:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        async with (
            Operator() as operator,
            httpx.AsyncClient(base_url=running.base_url, headers=admin, timeout=30) as http,
        ):
            await _setup(http, operator.port)
            conn = await operator.wait_bound(10)
            await operator.mo(conn, "STEM warm-up")
            mo_results: list[tuple[float, int]] = []
            done = asyncio.Event()

            async def mo_flow() -> None:
                while not done.is_set():
                    mo_results.append(await operator.mo(conn, f"STEM {len(mo_results)}"))
                    await asyncio.sleep(MO_PAUSE)

            flow = asyncio.create_task(mo_flow())
            answers = await _attack(running.base_url)
            done.set()
            await flow
    assert len(answers) == REQUESTS
    for _, status, body in answers:
        assert (status, body["error"]["code"]) == (401, "invalid_token"), body
    slowest_answer = max(seconds for seconds, _, _ in answers)
    assert slowest_answer < ANSWER_WITHIN, slowest_answer
    assert len(mo_results) >= 10, mo_results
    assert all(status == CommandStatus.ESME_ROK for _, status in mo_results), mo_results
    slowest_resp = max(seconds for seconds, _ in mo_results)
    print(f"{len(mo_results)} MO, slowest deliver_sm_resp {slowest_resp * 1000:.1f} ms")
    print(f"slowest 401 {slowest_answer * 1000:.1f} ms")
    assert slowest_resp < RESP_WITHIN, sorted(seconds for seconds, _ in mo_results)[-5:]
