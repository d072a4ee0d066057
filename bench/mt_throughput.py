"""MT throughput through one operator link against the window: API → gateway → SMPP.

Run from the repository root (PostgreSQL leg when a URL is set):

    .venv/bin/python bench/mt_throughput.py
    KODEORD_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/mt_throughput.py

Three processes: `kodeord simulator --submit-delay-ms 20` (the operator answers every
submit_sm after 20 ms), `kodeord serve --no-simulator` with one operator link of the
window under test, and this script, which queues N messages through
`POST /v1/messages/batch` (1,000 recipients per call) and times from the first call to
the simulator's count of accepted submits reaching N. One message per round trip would be
50 msg/s; the window is what lets one link do more. Bounded: N per window is fixed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mo_throughput import TOKEN, add_link, database, drop, start_pair, wait_http

CELLS = ((1, 150), (10, 1000), (50, 3000), (100, 3000))  # (window, messages)


async def setup(api: httpx.AsyncClient, smpp: int, window: int) -> httpx.AsyncClient:
    customer = (await api.post("/v1/customers", json={"name": "Kampanje AS"})).json()
    key = (await api.post(f"/v1/customers/{customer['id']}/api-keys")).json()["key"]
    await api.post("/v1/numbers", json={"number": "2077", "mode": "shared"})
    client = httpx.AsyncClient(
        base_url=str(api.base_url), headers={"Authorization": f"Bearer {key}"}, timeout=120
    )
    await client.post("/v1/keywords", json={"number": "2077", "keyword": "TILBUD"})
    await add_link(api, smpp, window)
    return client


async def cell(backend: str, window: int, count: int, delay_ms: float) -> float:
    folder = tempfile.mkdtemp()
    url, handle = database(backend, folder)
    options = ["--submit-delay-ms", str(delay_ms), "--receipt-delay-ms", "0"]
    smpp, control, http, simulator, gateway = start_pair(
        folder, url, [*options, "--delivered-share", "1"]
    )
    try:
        await wait_http(f"http://127.0.0.1:{control}/stats")
        await wait_http(f"http://127.0.0.1:{http}/healthz")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{http}", headers=headers) as api,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{control}") as sim,
        ):
            client = await setup(api, smpp, window)
            phones = [f"+4792{n:06d}" for n in range(count)]
            began = time.perf_counter()
            for first in range(0, count, 1000):
                body = {"from": "2077", "to": phones[first : first + 1000], "text": "Tilbud"}
                (await client.post("/v1/messages/batch", json=body)).raise_for_status()
            while (await sim.get("/stats")).json().get("submitted", 0) < count:
                if time.perf_counter() - began > 300:
                    raise RuntimeError("not all submitted within 300 s")
                await asyncio.sleep(0.02)
            took = time.perf_counter() - began
            await client.aclose()
            return count / took
    finally:
        for process in (gateway, simulator):
            process.terminate()
            process.wait(timeout=30)
        drop(handle)


async def main(args: argparse.Namespace) -> None:
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("KODEORD_TEST_POSTGRES_URL") else [])
    print(f"MT through one link, simulator answers after {args.delay_ms:.0f} ms")
    print(f"{'backend':<11} {'window':>6} {'messages':>8} {'msg/s':>8} {'× window 1':>10}")
    for backend in backends:
        base = None
        for window, count in CELLS:
            rate = await cell(backend, window, count, args.delay_ms)
            base = base or rate
            print(f"{backend:<11} {window:>6} {count:>8} {rate:>8,.0f} {rate / base:>10.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delay-ms", type=float, default=20.0)
    asyncio.run(main(parser.parse_args()))
