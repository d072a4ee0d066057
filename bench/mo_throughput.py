"""MO throughput and latency: simulator phone → SMPP → gateway (stored, routed) → webhook 200.

Run from the repository root (PostgreSQL leg when a URL is set):

    .venv/bin/python bench/mo_throughput.py
    KODEORD_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/mo_throughput.py

Three processes, as in production: `kodeord simulator` (the operator), `kodeord serve
--no-simulator` (the gateway, one operator link with window 100) and this script, which
injects MO through the simulator's control API and runs the webhook receiver (a minimal
asyncio HTTP/1.1 server answering 200 at once). Two cells per backend:

- burst: N messages handed to the simulator at once (a TV vote); throughput is N over the
  time from injection to the last webhook;
- steady: R messages per second for S seconds; latency is webhook arrival minus the
  moment its batch was handed to the simulator (p50/p99), at a rate the gateway keeps up with.

Bounded: at most --burst messages and --rate × --seconds messages per cell.
BENCH_PROFILE_GATEWAY=/tmp/gateway.prof runs the gateway under cProfile (written when it
stops), to see where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-admin-token-for-this-bench-only-0001"  # 32+ characters (config.py)


class Receiver:
    """Webhook receiver: records the arrival time of each message text."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.event = asyncio.Event()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                self.arrivals.setdefault(json.loads(body)["text"], time.perf_counter())
                self.event.set()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    async def wait_for(self, count: int, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while len(self.arrivals) < count and time.perf_counter() < deadline:
            self.event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.event.wait(), 1.0)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], cwd: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KODEORD_ADMIN_TOKEN": TOKEN, "KODEORD_WEBHOOK_ALLOW_PRIVATE": "1"}
    # the benches measure the gateway and its link, not the per-key sending limit (whose
    # default burst of 2,000 would answer a 3,000-message MT cell with 429)
    env |= {"KODEORD_SEND_RATE": "1000000", "KODEORD_SEND_BURST": "1000000"}
    profile = os.environ.get("BENCH_PROFILE_GATEWAY")  # a file: the gateway runs under cProfile
    python = [sys.executable]
    if profile and args[0] == "serve":
        python += ["-m", "cProfile", "-o", profile]
    return subprocess.Popen(
        [*python, "-m", "kodeord", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_http(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


async def setup(api: httpx.AsyncClient, receiver_port: int, smpp: int) -> None:
    customer = (await api.post("/v1/customers", json={"name": "TV-aksjon"})).json()
    key = (await api.post(f"/v1/customers/{customer['id']}/api-keys")).json()["key"]
    await api.post("/v1/numbers", json={"number": "2077", "mode": "shared"})
    headers = {"Authorization": f"Bearer {key}"}
    lease = (
        await api.post("/v1/keywords", json={"number": "2077", "keyword": "STEM"}, headers=headers)
    ).json()
    route = {"type": "webhook", "url": f"http://127.0.0.1:{receiver_port}/sms"}
    await api.put(f"/v1/keywords/{lease['id']}/route", json=route, headers=headers)
    await api.post("/v1/signing-secret", headers=headers)
    await add_link(api, smpp, 100)


async def add_link(api: httpx.AsyncClient, smpp: int, window: int) -> None:
    """The gateway's one operator link, to the simulator; returns once it is bound."""
    link = {
        "name": "operator",
        "host": "127.0.0.1",
        "port": smpp,
        "system_id": "kodeord",
        "password": "kodeord",
        "window": window,
    }
    (await api.post("/v1/operator-links", json=link)).raise_for_status()
    for _ in range(100):
        if (await api.get("/v1/operator-links")).json()[0]["state"] == "bound":
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the link did not bind")


def start_pair(
    folder: str, url: str, simulator_options: list[str]
) -> tuple[int, int, int, subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """`kodeord simulator` and `kodeord serve` on free ports: (smpp, control, http,
    simulator process, gateway process)."""
    smpp, control, http = free_port(), free_port(), free_port()
    address = ["--smpp", f"127.0.0.1:{smpp}", "--http", f"127.0.0.1:{control}"]
    simulator = start(["simulator", *address, *simulator_options], folder)
    serve = ["serve", "--no-simulator", "--no-smpp", "--http", f"127.0.0.1:{http}"]
    gateway = start([*serve, "--database-url", url], folder)
    return smpp, control, http, simulator, gateway


def batch(start_at: int, count: int) -> list[dict[str, str]]:
    return [
        {"from": f"47{40000000 + i}", "to": "2077", "text": f"STEM {i % 3 + 1} #{i}"}
        for i in range(start_at, start_at + count)
    ]


async def burst(sim: httpx.AsyncClient, receiver: Receiver, count: int) -> dict[str, float]:
    began = time.perf_counter()
    for first in range(0, count, 5000):
        await sim.post("/mo", json={"messages": batch(first, min(5000, count - first))})
    await receiver.wait_for(count, 300)
    took = max(receiver.arrivals.values()) - began
    return {
        "messages": len(receiver.arrivals),
        "seconds": took,
        "per_second": len(receiver.arrivals) / took,
    }


async def steady(
    sim: httpx.AsyncClient, receiver: Receiver, rate: int, seconds: float, offset: int
) -> dict[str, float]:
    sent_at: dict[str, float] = {}
    chunk = max(1, rate // 10)
    began = time.perf_counter()
    next_at = began
    index = offset
    while time.perf_counter() - began < seconds:
        messages = batch(index, chunk)
        stamp = time.perf_counter()
        await sim.post("/mo", json={"messages": messages})
        for message in messages:
            sent_at[message["text"]] = stamp
        index += chunk
        next_at += 0.1
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await receiver.wait_for(offset + len(sent_at), 120)
    latencies = sorted(
        (receiver.arrivals[t] - s) * 1000 for t, s in sent_at.items() if t in receiver.arrivals
    )
    q = statistics.quantiles(latencies, n=100)
    return {
        "messages": len(latencies),
        "rate": rate,
        "p50_ms": statistics.median(latencies),
        "p99_ms": q[98],
    }


def database(backend: str, folder: str) -> tuple[str, object]:
    if backend == "sqlite":
        return f"sqlite:///{folder}/bench.db", None
    server = make_url(os.environ["KODEORD_TEST_POSTGRES_URL"]).set(drivername="postgresql+psycopg")
    name = f"kodeord_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name, drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(
        [sys.executable, "-m", "kodeord", "db", "upgrade", "--database-url", url],
        check=True,
        capture_output=True,
    )
    return url, (admin, name)


def drop(handle: object) -> None:
    if handle is None:
        return
    admin, name = handle  # type: ignore[misc]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    folder = tempfile.mkdtemp()
    url, handle = database(backend, folder)
    smpp, control, http, sim_process, gateway = start_pair(
        folder, url, ["--mo-window", str(args.mo_window)]
    )
    receiver = Receiver()
    port = await receiver.start()
    try:
        await wait_http(f"http://127.0.0.1:{control}/stats")
        await wait_http(f"http://127.0.0.1:{http}/healthz")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{http}", headers=headers, timeout=60
            ) as api,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{control}", timeout=60) as sim,
        ):
            await setup(api, port, smpp)
            results = {"burst": await burst(sim, receiver, args.burst)}
            results["steady"] = await steady(sim, receiver, args.rate, args.seconds, args.burst)
            return results
    finally:
        for process in (gateway, sim_process):
            process.terminate()
            process.wait(timeout=30)
        receiver.server.close()
        await receiver.server.wait_closed()
        drop(handle)


async def main(args: argparse.Namespace) -> None:
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("KODEORD_TEST_POSTGRES_URL") else [])
    print(f"MO → webhook, burst {args.burst}, steady {args.rate}/s for {args.seconds:.0f} s")
    print(f"{'backend':<11} {'burst msg/s':>12} {'burst s':>8} {'steady p50 ms':>14} {'p99 ms':>8}")
    for backend in backends:
        r = await run_backend(backend, args)
        print(
            f"{backend:<11} {r['burst']['per_second']:>12,.0f} {r['burst']['seconds']:>8.1f}"
            f" {r['steady']['p50_ms']:>14.1f} {r['steady']['p99_ms']:>8.1f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--burst", type=int, default=3000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--mo-window", type=int, default=64, help="deliver_sm the operator keeps outstanding"
    )
    asyncio.run(main(parser.parse_args()))
