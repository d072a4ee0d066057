"""Kannel (bearerbox + smsbox, Debian package `kannel`) as a peer in our tests.

`KannelBoxes` writes a kannel.conf into a temporary folder, starts bearerbox and smsbox
on free loopback ports, and stops them. Kannel's HTTP calls (MO and delivery reports)
go to a `Recorder`: a real HTTP server on 127.0.0.1 that keeps every request.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support import free_port

BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"


@dataclass
class Recorded:
    path: str
    query: dict[str, list[str]]
    body: bytes


@dataclass
class Recorder:
    """A real HTTP server that records each request and answers 200."""

    requests: list[Recorded] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)

    def __enter__(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                # Kannel sends text in its own charset; keep the raw octets (latin-1 keeps them).
                query = parse_qs(parts.query, keep_blank_values=True, encoding="latin-1")
                with recorder.condition:
                    recorder.requests.append(Recorded(parts.path, query, body))
                    recorder.condition.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _record

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_for(self, path: str, count: int, timeout: float = 30) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                found = [r for r in self.requests if r.path == path]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} of {count} requests to {path} came")
                self.condition.wait(left)


@dataclass
class KannelBoxes:
    """bearerbox + smsbox, with one SMPP SMSC connection to host:port."""

    folder: Path
    smsc_host: str
    smsc_port: int
    system_id: str
    password: str
    mo_url: str
    sender: str = "2077"
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.admin_port = free_port()
        self.smsbox_port = free_port()
        self.sendsms_port = free_port()

    def config(self) -> str:
        log = self.folder
        return f"""
group = core
admin-port = {self.admin_port}
admin-password = secret
admin-interface = 127.0.0.1
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{log}/bearerbox.log"
log-level = 0
dlr-storage = internal
store-type = file
store-location = "{log}/kannel.store"

group = smsc
smsc = smpp
smsc-id = kodeord
host = {self.smsc_host}
port = {self.smsc_port}
transceiver-mode = true
smsc-username = {self.system_id}
smsc-password = {self.password}
system-type = ""
source-addr-ton = 0
source-addr-npi = 0
dest-addr-ton = 1
dest-addr-npi = 1
enquire-link-interval = 30
reconnect-delay = 1
msg-id-type = 0x00

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
log-file = "{log}/smsbox.log"
log-level = 0
mo-recode = true

group = sendsms-user
username = tester
password = secret
max-messages = 10
concatenation = true

group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "{self.mo_url}?from=%p&to=%P&text=%a&coding=%c&charset=%C&binary=%b"
"""

    def __enter__(self) -> KannelBoxes:
        path = self.folder / "kannel.conf"
        path.write_text(self.config())
        for binary in (BEARERBOX, SMSBOX):
            log = open(self.folder / f"{Path(binary).name}.out", "wb")
            self.processes.append(
                subprocess.Popen([binary, str(path)], stdout=log, stderr=subprocess.STDOUT)
            )
            log.close()
            time.sleep(0.3)
        self._wait_for_port(self.sendsms_port)
        return self

    def _wait_for_port(self, port: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise AssertionError(f"kannel exited: {self.logs()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"kannel did not listen on {port}: {self.logs()}")

    def status(self) -> str:
        url = f"http://127.0.0.1:{self.admin_port}/status.txt?password=secret"
        return httpx.get(url, timeout=5).text

    def wait_online(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "online" in self.status().split("SMSC connections:")[-1]:
                return
            time.sleep(0.2)
        raise AssertionError(f"kannel's SMSC link did not come online: {self.status()}")

    def sendsms(self, to: str, text: str, **extra: str) -> httpx.Response:
        params = {
            "username": "tester",
            "password": "secret",
            "from": self.sender,
            "to": to,
            "text": text,
            "charset": "UTF-8",
            "coding": "0",
            **extra,
        }
        return httpx.get(
            f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms", params=params, timeout=10
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.folder.glob("*.log"))
            if p.exists()
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:  # bearerbox lingers ~15 s on SIGTERM to drain queues nobody uses here
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
