"""Test helpers: the gateway's HTTP API served by uvicorn on a real socket in a thread."""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Coroutine
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from kodeord.adapters.db.engine import Database
from kodeord.adapters.simulator.operator import OperatorSimulator, SimulatorSettings
from kodeord.server import simulator_link
from kodeord.web.app import create_app
from kodeord.wiring import Gateway, GatewayOptions

# `kodeord serve` started by tests leaves the customers' SMPP server off unless a test
# asks for it (`--smpp`): its fixed default port (2775) would clash between test runs.
os.environ.setdefault("KODEORD_SMPP", "off")


class ApiServer:
    """uvicorn on 127.0.0.1:0 in its own thread and event loop; `client()` talks to it."""

    def __init__(
        self,
        database_url: str,
        admin_token: str,
        options: GatewayOptions | None = None,
        *,
        smpp: bool = False,
        simulator: bool = False,
        **context: Any,
    ) -> None:
        self.options = options
        # also run the built-in operator simulator, linked as `kodeord serve` links it
        # (`self.simulator`; the console's phone page sees it)
        self.with_simulator = simulator
        self.simulator: OperatorSimulator | None = None
        self.smpp = smpp  # also run the customers' SMPP server (on `smpp_port`)
        self.smpp_port = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.database_url = database_url
        self.admin_token = admin_token
        self.context_args = context
        self.base_url = ""
        self._ready = threading.Event()
        self._server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._error: BaseException | None = None
        self._clients: list[httpx.Client] = []

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        db = Database(self.database_url)
        self.gateway = Gateway.build(
            db, self.options, admin_token=self.admin_token, **self.context_args
        )
        ctx = self.gateway.ctx
        await self.gateway.start()
        if self.smpp:
            _, self.smpp_port = await self.gateway.customer_smpp.start("127.0.0.1", 0)
        if self.with_simulator:
            self.simulator = OperatorSimulator(SimulatorSettings(receipt_delay=0.01), port=0)
            await self.simulator.start()
            await self.gateway.links.attach(simulator_link(self.simulator))
        config = uvicorn.Config(
            create_app(ctx, self.gateway, simulator=self.simulator),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._ready.set()
        try:
            await task
        finally:
            await self.gateway.stop()
            if self.simulator is not None:
                await self.simulator.stop()
            await db.close()

    def __enter__(self) -> ApiServer:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for client in self._clients:
            client.close()
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(timeout=30)

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def admin(self) -> httpx.Client:
        return self.client(self.admin_token)

    def call(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine in the server's event loop (e.g. on its simulator) and wait."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records every request (with headers) and
    answers `status` (changeable while running: 503 to play a receiver that is down)."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.condition = threading.Condition()

    def __enter__(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    return  # the sender died mid-request (the crash test kills it)
                with receiver.condition:
                    status = receiver.status
                    if status < 300:
                        receiver.requests.append((dict(self.headers.items()), body))
                    receiver.condition.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        with self.condition:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} webhooks came")
                self.condition.wait(left)
            return list(self.requests)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_health(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kodeord exited with {process.returncode}")
        try:
            response = httpx.get(url, timeout=1)
            if response.status_code == 200:
                return response.json()
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("kodeord did not answer /healthz in time")


def async_test_within(
    seconds: float,
) -> Callable[[Callable[..., Coroutine[Any, Any, None]]], Callable[..., None]]:
    """A decorator running an async test in a fresh event loop, failing after `seconds`
    (so a hang fails the test instead of stalling the suite)."""

    def decorate(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            async def main() -> None:
                async with asyncio.timeout(seconds):
                    await fn(*args, **kwargs)

            asyncio.run(main())

        return wrapper

    return decorate
