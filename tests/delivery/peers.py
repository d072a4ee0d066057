"""Real peers for the delivery tests, all on 127.0.0.1: an HTTP(S) webhook receiver in a
thread, an aiosmtpd SMTP server in the test's own event loop, a port that refuses
connections, and a throwaway TLS certificate made with the openssl command."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import socket
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support import async_test_within

TEST_TIMEOUT = 10.0
HANG_LIMIT = 5.0  # a hanging peer gives up after this, so no test can hang for good


async_test = async_test_within(TEST_TIMEOUT)


# --- HTTP ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers by path: /status/<code>, /hang, /big, /close, /garbage; anything else
    200 "ok"."""

    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Received("POST", self.path, headers, body, self.client_address[1])
        self.server.received.append(request)
        self._answer()

    def _answer(self) -> None:
        if self.path.startswith("/status/"):
            self._reply(int(self.path.removeprefix("/status/")), b"status")
        elif self.path == "/hang":
            self.server.release.wait(HANG_LIMIT)
            self._reply(200, b"late")
        elif self.path == "/big":
            self._reply(200, b"x" * (1024 * 1024))
        elif self.path == "/close":
            self.close_connection = True
        elif self.path == "/garbage":
            self.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")
            self.close_connection = True
        else:
            self._reply(200, b"ok")

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("location", "/status/200")
        if status == 204:  # no content and no content-length (RFC 9110 section 8.6)
            self.end_headers()
            return
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 resets concurrent connects

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.received: list[Received] = []
        self.release = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) is expected, not an error


@contextlib.contextmanager
def http_receiver(tls: ssl.SSLContext | None = None) -> Iterator[HttpReceiver]:
    """A webhook receiver on 127.0.0.1 (a free port) that records every request."""
    server = _Server(tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield HttpReceiver(server)
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=HANG_LIMIT)


class HttpReceiver:
    def __init__(self, server: _Server) -> None:
        self._server = server
        self.port: int = server.server_address[1]

    @property
    def received(self) -> list[Received]:
        return self._server.received

    def url(self, path: str = "/hook", host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"


# --- TLS -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(directory: Path, hostname: str) -> Certificate:
    """A self-signed certificate for `hostname` (openssl, EC P-256, valid one day)."""
    cert, key = directory / f"{hostname}.crt", directory / f"{hostname}.key"
    argv = [
        *("openssl", "req", "-x509", "-nodes", "-days", "1", "-subj", f"/CN={hostname}"),
        *("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"),
        *("-addext", f"subjectAltName=DNS:{hostname}", "-keyout", str(key), "-out", str(cert)),
    ]
    subprocess.run(
        argv,
        check=True,
        capture_output=True,
        timeout=30,
    )
    return Certificate(cert, key)


# --- a port nobody listens on ----------------------------------------------------------


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound but not listening: connecting is refused, and no one can take it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


# --- SMTP ------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that records accepted mail and can answer MAIL, RCPT or DATA
    with a fixed reply instead ("550 5.1.1 User unknown"), or hang in DATA."""

    def __init__(self, replies: dict[str, str] | None = None, hang: bool = False) -> None:
        self.replies = replies or {}
        self.hang = hang
        self.messages: list[Envelope] = []
        self.release = asyncio.Event()

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        envelope.mail_from = address
        return self.replies.get("mail", "250 OK")

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        envelope.rcpt_tos.append(address)
        return self.replies.get("rcpt", "250 OK")

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.hang:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HANG_LIMIT):
                    await self.release.wait()
        if "data" in self.replies:
            return self.replies["data"]
        self.messages.append(envelope)
        return "250 Message accepted"


@contextlib.asynccontextmanager
async def smtp_server(handler: Mailbox, **smtp_options: Any) -> AsyncIterator[int]:
    """aiosmtpd on 127.0.0.1 (a free port) in this event loop; yields the port."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="smtp.test", **smtp_options), "127.0.0.1", 0
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        handler.release.set()
        server.close()
        await server.wait_closed()
