"""submit_sm per second over one bind: our EsmeClient -> an SMSC of ours on 127.0.0.1.

Run from the repository root:

    .venv/bin/python bench/smpp_link.py                     # SmscServer in-process, ~30 s
    .venv/bin/python bench/smpp_link.py --peer simulator    # `kodeord simulator` process
    .venv/bin/python bench/smpp_link.py --quick             # 500 messages / 3 s per cell

`--peer simulator` starts the operator simulator as its own process (`kodeord simulator
--submit-delay-ms 0|20`), which files every message in its phone book as in real use;
the client runs here, so each side has a core.

Cells are window 1, 10 and 100 against a server that answers at once or after 20 ms
(its handler does `await asyncio.sleep(0.02)` before respond, like a store that takes a
round trip). Each cell sends until `--messages` are answered or `--seconds` pass,
whichever comes first, from enough concurrent submit() callers to keep the window full.
Client and server share one event loop (one core), so the figures are a floor: split
across processes each side would have a core of its own. The ceiling with 20 ms answers
is window / 0.02 s (50, 500, 5,000 msg/s).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from kodeord.adapters.smpp_io import BindRequest, EsmeClient, SmppConnection, SmscServer
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import Pdu, SubmitSm

S = CommandStatus
WINDOWS = (1, 10, 100)
DELAYS = (0.0, 0.02)
TEXT = ("Kodeord benchmark message, 140 octets of GSM text to make the PDU realistic. " * 2)[:140]


@dataclass(frozen=True)
class Cell:
    window: int
    delay: float
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


async def authenticate(bind: BindRequest) -> int:
    return S.ESME_ROK


def make_handler(delay: float) -> Callable[[SmppConnection, Pdu], Awaitable[None]]:
    counter = 0

    async def handler(conn: SmppConnection, pdu: Pdu) -> None:
        nonlocal counter
        counter += 1
        if delay:
            await asyncio.sleep(delay)
        await conn.respond(pdu, message_id=f"{counter:x}")

    return handler


async def run_cell(window: int, delay: float, messages: int, seconds: float) -> Cell:
    server = SmscServer("127.0.0.1", 0, authenticate=authenticate, on_request=make_handler(delay))
    _, port = await server.start()
    client = EsmeClient("127.0.0.1", port, "bench", "pw", window=window)
    try:
        await client.start()
        await client.wait_bound(timeout=5)
        return await _measure(client, window, delay, messages, seconds)
    finally:
        await client.stop()
        await server.stop()


async def run_simulator_cells(messages: int, seconds: float) -> list[Cell]:
    cells = []
    for delay in DELAYS:
        process, port = await start_simulator(delay)
        try:
            for window in WINDOWS:
                client = EsmeClient("127.0.0.1", port, "kodeord", "kodeord", window=window)
                try:
                    await client.start()
                    await client.wait_bound(timeout=10)
                    cells.append(await _measure(client, window, delay, messages, seconds))
                finally:
                    await client.stop()
        finally:
            process.terminate()
            await process.wait()
    return cells


async def start_simulator(delay: float) -> tuple[asyncio.subprocess.Process, int]:
    smpp, http = free_port(), free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kodeord",
        "simulator",
        "--smpp",
        f"127.0.0.1:{smpp}",
        "--http",
        f"127.0.0.1:{http}",
        "--submit-delay-ms",
        str(delay * 1000),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", smpp)
            writer.close()
            await writer.wait_closed()
            return process, smpp
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the simulator did not start")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _measure(
    client: EsmeClient, window: int, delay: float, messages: int, seconds: float
) -> Cell:
    pdu = SubmitSm(source_addr="2077", destination_addr="4741234567", short_message=TEXT.encode())
    budget = messages
    done = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        nonlocal budget, done
        while budget > 0 and time.perf_counter() < deadline:
            budget -= 1
            response = await client.submit(pdu)
            assert response.command_status == S.ESME_ROK, response
            done += 1

    async with asyncio.TaskGroup() as tg:
        for _ in range(window * 2):  # twice the window: a full window whatever the timing
            tg.create_task(worker())
    return Cell(window, delay, done, time.perf_counter() - started)


def print_table(cells: list[Cell], peer: str) -> None:
    where = "one event loop" if peer == "server" else "simulator in its own process"
    print(f"Python {platform.python_version()} on {platform.machine()}, {where}")
    print(f"{'window':>6} {'answer':>7} {'messages':>9} {'seconds':>8} {'msg/s':>9}")
    for cell in cells:
        answer = f"{cell.delay * 1000:.0f} ms"
        print(
            f"{cell.window:>6} {answer:>7} {cell.messages:>9}"
            f" {cell.seconds:>8.2f} {cell.rate:>9,.0f}"
        )


async def main(messages: int, seconds: float, peer: str) -> None:
    if peer == "simulator":
        cells = await run_simulator_cells(messages, seconds)
    else:
        cells = [
            await run_cell(window, delay, messages, seconds)
            for delay in DELAYS
            for window in WINDOWS
        ]
    print_table(cells, peer)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="per cell (default 2000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per cell (default 10)")
    parser.add_argument("--quick", action="store_true", help="500 messages / 3 s per cell")
    parser.add_argument("--peer", choices=("server", "simulator"), default="server")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if args.quick:
        args.messages, args.seconds = 500, 3.0
    asyncio.run(main(args.messages, args.seconds, args.peer))
    sys.exit(0)
