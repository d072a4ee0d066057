"""SmscServer: we act as the SMSC; ESMEs connect, bind and submit over SMPP 3.4.

An asyncio server that gives each accepted socket an `SmppConnection` (role SMSC). Rules:

- Connections are capped (`ServerLimits`): at most `max_connections` open, at most
  `max_connections_per_ip` from one IP address; one over the cap is closed at once,
  before a byte is read. A connection must send its bind within `bind_timeout` seconds,
  and each PDU must be complete `pdu_timeout` seconds after its first octet came (the
  session's timers); else it is closed.
- Before bind only bind and enquire_link are legal; the session's state table enforces
  it. A bind becomes a call to `authenticate(BindRequest)`, which returns the
  command_status: ESME_ROK accepts, ESME_RINVPASWD / ESME_RINVSYSID refuse the
  credentials, anything else refuses too (ESME_RBINDFAIL). An authenticator that raises
  refuses with ESME_RBINDFAIL. The bind_*_resp carries our `system_id`.
- Credential refusals all go out as ONE status, `CREDENTIALS_REFUSED` (ESME_RINVPASWD),
  whether the system_id is unknown or the password wrong: the answer never tells which
  accounts exist.
- One bind attempt per connection: after a refused bind the answer is sent and the
  connection closed (an ESME that wants to try again connects again, and pays for it).
- Password guessing is throttled (smpp.bind_guard): failures are counted per peer IP
  address and per system_id; a key in backoff or lockout is refused with
  ESME_RBINDFAIL without calling the authenticator, so no password hash is computed.
- Refusals (binds, connections over the cap) are logged once per peer, system_id and
  status in each `refusal_log_interval`: the first at once, the rest as one line with
  a count when the interval ends.
- Binds are handled concurrently, and any number of connections may bind one system_id.
  `connections` lists the bound ones; `bound(system_id)` those that can take a
  deliver_sm (receiver or transceiver).
- Every other request goes to `on_request` (see connection.py: answer with
  `conn.respond()` after storing). `on_bound` / `on_closed` (plain or async callables)
  see each connection that bound, once each; their exceptions are logged.
- `stop()` stops listening, unbinds every connection politely (concurrently, bounded)
  and waits until all are closed. A closed connection is forgotten.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import cast

import structlog

from kodeord.adapters.smpp_io.connection import RequestHandler, SmppConnection
from kodeord.smpp.bind_guard import BindThrottle, RefusalTally, Tally, ThrottlePolicy
from kodeord.smpp.constants import CommandId, CommandStatus, status_name
from kodeord.smpp.pdu import BindReceiver, BindTransceiver, BindTransmitter, Pdu
from kodeord.smpp.session import SessionConfig
from kodeord.smpp.states import Role

log = structlog.get_logger(__name__)

BIND_TYPES: dict[int, str] = {
    CommandId.BIND_TRANSMITTER: "transmitter",
    CommandId.BIND_RECEIVER: "receiver",
    CommandId.BIND_TRANSCEIVER: "transceiver",
}
RECEIVING_BIND_TYPES = frozenset({"receiver", "transceiver"})
S = CommandStatus
CREDENTIAL_ERRORS = frozenset({S.ESME_RINVPASWD, S.ESME_RINVSYSID})
CREDENTIALS_REFUSED = S.ESME_RINVPASWD
"""What every credential refusal is answered with: unknown system_id or wrong password."""
THROTTLED = S.ESME_RBINDFAIL
"""What a bind from a key in backoff or lockout is answered with (no password checked)."""


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """What one peer may cost us; see the module docstring."""

    max_connections: int = 1000
    max_connections_per_ip: int = 50
    bind_timeout: float = 10.0
    pdu_timeout: float = 10.0
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    refusal_log_interval: float = 60.0

    def __post_init__(self) -> None:
        if min(self.max_connections, self.max_connections_per_ip) < 1:
            raise ValueError("connection caps must be at least 1")
        if min(self.bind_timeout, self.pdu_timeout, self.refusal_log_interval) <= 0:
            raise ValueError("timeouts must be positive")


@dataclass(frozen=True, slots=True)
class BindRequest:
    """What an ESME presented in its bind_transmitter/receiver/transceiver (4.1)."""

    system_id: str
    password: str = field(repr=False)
    system_type: str
    bind_type: str  # "transmitter" | "receiver" | "transceiver"
    peer: tuple[str, int]


Authenticator = Callable[[BindRequest], Awaitable[int]]
ConnectionCallback = Callable[[SmppConnection], Awaitable[None] | None]


class SmscServer:
    """Listens for ESMEs; see the module docstring for its rules."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        authenticate: Authenticator,
        on_request: RequestHandler,
        system_id: str = "kodeord",
        session_config: SessionConfig | None = None,
        on_bound: ConnectionCallback | None = None,
        on_closed: ConnectionCallback | None = None,
        max_pending_requests: int = 256,
        limits: ServerLimits | None = None,
        name: str = "smsc",
    ) -> None:
        self.name = name  # which server this is, in its log lines ("customer smpp" …)
        self._host, self._port = host, port
        self._authenticate = authenticate
        self._on_request = on_request
        self._system_id = system_id
        self.limits = limits = limits or ServerLimits()
        self._session_config = dataclasses.replace(
            session_config or SessionConfig(),
            bind_timeout=limits.bind_timeout,
            pdu_timeout=limits.pdu_timeout,
        )
        self._throttle = BindThrottle(limits.throttle)
        self._check_ended = asyncio.Event()  # replaced (after being set) as each check ends
        self._refusals = RefusalTally(limits.refusal_log_interval)
        self._per_ip: Counter[str] = Counter()
        self._reporter: asyncio.Task[None] | None = None
        self._on_bound, self._on_closed = on_bound, on_closed
        self._max_pending = max_pending_requests
        self._server: asyncio.Server | None = None
        self._open: set[SmppConnection] = set()
        self._bound: dict[SmppConnection, None] = {}  # insertion-ordered set
        self._client_tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self) -> tuple[str, int]:
        """Listen; returns the real (host, port) (port 0 picks a free one)."""
        self._stopping = False
        self._server = await asyncio.start_server(self._serve_client, self._host, self._port)
        host, port = self._server.sockets[0].getsockname()[:2]
        self._reporter = asyncio.create_task(self._report_refusals())
        log.info(f"{self.name} listening", host=host, port=port)
        return str(host), int(port)

    async def stop(self, unbind_timeout: float = 5.0) -> None:
        """Stop listening, unbind (or close) every connection, wait until all are gone."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        async with asyncio.TaskGroup() as tg:
            for conn in list(self._open):
                tg.create_task(conn.unbind(unbind_timeout))
        if self._client_tasks:
            await asyncio.wait(self._client_tasks)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self._reporter is not None:
            self._reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reporter
            self._reporter = None
        self._log_tallies(self._refusals.due(time.monotonic(), everything=True))

    @property
    def connections(self) -> list[SmppConnection]:
        """Currently bound connections, oldest bind first."""
        return [conn for conn in self._bound if conn.is_bound]

    def bound(self, system_id: str) -> list[SmppConnection]:
        """Bound connections of `system_id` that can receive (receiver or transceiver)."""
        return [
            conn
            for conn in self._bound
            if conn.system_id == system_id
            and conn.bind_type in RECEIVING_BIND_TYPES
            and conn.is_bound
        ]

    async def __aenter__(self) -> SmscServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # --- per connection ----------------------------------------------------------------

    async def _serve_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = writer.get_extra_info("peername")
        ip = str(peer[0]) if peer else ""
        if self._stopping or not self._admit(ip):  # over a cap, or accepted while stopping
            writer.transport.abort()
            return
        self._per_ip[ip] += 1
        try:
            await self._serve_admitted(reader, writer, task)
        finally:
            self._per_ip[ip] -= 1
            if not self._per_ip[ip]:
                del self._per_ip[ip]

    def _admit(self, ip: str) -> bool:
        """May one more connection from `ip` be served? (log the refusal when not)"""
        limits = self.limits
        if len(self._client_tasks) >= limits.max_connections:
            reason = "max_connections"
        elif self._per_ip[ip] >= limits.max_connections_per_ip:
            reason = "max_connections_per_ip"
        else:
            return True
        if self._refusals.add(("connection", ip, reason), time.monotonic()):
            log.warning("smpp connection refused", peer_ip=ip, reason=reason)
        return False

    async def _serve_admitted(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        task: asyncio.Task[None],
    ) -> None:
        conn = SmppConnection(
            reader,
            writer,
            Role.SMSC,
            on_request=self._on_request,
            on_bind=self._handle_bind,
            session_config=self._session_config,
            max_pending_requests=self._max_pending,
        )
        self._open.add(conn)
        self._client_tasks.add(task)
        try:
            await conn.serve()
        finally:
            self._open.discard(conn)
            self._client_tasks.discard(task)
            if conn in self._bound:
                del self._bound[conn]
                await self._notify(self._on_closed, conn, "on_closed")

    async def _handle_bind(self, conn: SmppConnection, pdu: Pdu) -> None:
        assert isinstance(pdu, BindTransmitter | BindReceiver | BindTransceiver)
        request = BindRequest(
            system_id=pdu.system_id,
            password=pdu.password,
            system_type=pdu.system_type,
            bind_type=BIND_TYPES[pdu.command_id],
            peer=conn.peer,
        )
        status = await self._check(request)
        if status == S.ESME_ROK:
            conn.system_id, conn.bind_type = request.system_id, request.bind_type
        await conn.respond(pdu, status, system_id=self._system_id)
        if status != S.ESME_ROK:
            self._log_refusal(request, status)
            await conn.close()  # one bind attempt per connection
            return
        self._bound[conn] = None
        log.info(
            "smpp bound", system_id=request.system_id, bind_type=request.bind_type, peer=conn.peer
        )
        await self._notify(self._on_bound, conn, "on_bound")

    async def _check(self, request: BindRequest) -> int:
        """The status to answer: throttled, the authenticator's verdict, or its failure."""
        ip_key, account_key = ("ip", request.peer[0]), ("system_id", request.system_id)
        if await self._begin(ip_key) > 0:
            return THROTTLED
        if await self._begin(account_key) > 0:
            self._end(ip_key, None)
            return THROTTLED
        status: int | None = None
        try:
            status = int(await self._authenticate(request))
        except Exception:
            log.exception("smpp authenticator failed", system_id=request.system_id)
            status = S.ESME_RBINDFAIL
        finally:  # also when cancelled: the keys' checks in flight must end
            self._end(ip_key, status, forget=False)
            self._end(account_key, status)
        return CREDENTIALS_REFUSED if status in CREDENTIAL_ERRORS else status

    async def _begin(self, key: tuple[str, str]) -> float:
        """throttle.begin(), waiting while the key's tries left are all in flight."""
        while (wait := self._throttle.begin(key, time.monotonic())) is None:
            await self._check_ended.wait()
        return wait

    def _end(self, key: tuple[str, str], status: int | None, *, forget: bool = True) -> None:
        """A begun check is over: a success, a credential failure, or neither (None, or
        an authenticator's other refusal: no password verdict to count)."""
        if status == S.ESME_ROK:
            self._throttle.end(key, time.monotonic(), ok=True, forget=forget)
        elif status in CREDENTIAL_ERRORS:
            self._throttle.end(key, time.monotonic(), ok=False)
        else:
            self._throttle.cancel(key)
        ended, self._check_ended = self._check_ended, asyncio.Event()
        ended.set()

    def _log_refusal(self, request: BindRequest, status: int) -> None:
        name = status_name(status)
        key = ("bind", request.peer[0], request.system_id, name)
        if self._refusals.add(key, time.monotonic()):
            log.warning(
                "smpp bind refused",
                system_id=request.system_id,
                bind_type=request.bind_type,
                peer=request.peer,
                status=name,
            )

    async def _report_refusals(self) -> None:
        """Every interval: one line per key for the refusals not logged one by one."""
        while True:
            await asyncio.sleep(self.limits.refusal_log_interval)
            self._log_tallies(self._refusals.due(time.monotonic()))

    def _log_tallies(self, tallies: list[Tally]) -> None:
        for tally in tallies:
            what, ip, *rest = cast(tuple[str, ...], tally.key)
            seconds = round(tally.last - tally.first, 1)
            if what == "bind":
                system_id, status = rest
                log.warning(
                    "smpp bind refusals",
                    peer_ip=ip,
                    system_id=system_id,
                    status=status,
                    count=tally.count,
                    seconds=seconds,
                )
            else:
                log.warning(
                    "smpp connections refused",
                    peer_ip=ip,
                    reason=rest[0],
                    count=tally.count,
                    seconds=seconds,
                )

    async def _notify(
        self, callback: ConnectionCallback | None, conn: SmppConnection, name: str
    ) -> None:
        if callback is None:
            return
        try:
            result = callback(conn)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception(f"smsc {name} callback failed", system_id=conn.system_id)
