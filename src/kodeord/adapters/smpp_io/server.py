"""SmscServer: we act as the SMSC; ESMEs connect, bind and submit over SMPP 3.4.

An asyncio server that gives each accepted socket an `SmppConnection` (role SMSC). Rules:

- Before bind only bind and enquire_link are legal; the session's state table enforces
  it. A bind becomes a call to `authenticate(BindRequest)`, which returns the
  command_status: ESME_ROK accepts, ESME_RINVPASWD / ESME_RINVSYSID / ESME_RBINDFAIL
  refuse. An authenticator that raises refuses with ESME_RBINDFAIL. The bind_*_resp
  carries our `system_id`. A refused ESME may try again on the same connection (2.3).
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
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType

import structlog

from kodeord.adapters.smpp_io.connection import RequestHandler, SmppConnection
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


@dataclass(frozen=True, slots=True)
class BindRequest:
    """What an ESME presented in its bind_transmitter/receiver/transceiver (4.1)."""

    system_id: str
    password: str
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
    ) -> None:
        self._host, self._port = host, port
        self._authenticate = authenticate
        self._on_request = on_request
        self._system_id = system_id
        self._session_config = session_config
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
        log.info("smsc listening", host=host, port=port)
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
        if self._stopping:  # accepted while stop() was running
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
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
        if status == CommandStatus.ESME_ROK:
            conn.system_id, conn.bind_type = request.system_id, request.bind_type
        await conn.respond(pdu, status, system_id=self._system_id)
        if status != CommandStatus.ESME_ROK:
            log.warning(
                "smpp bind refused",
                system_id=request.system_id,
                bind_type=request.bind_type,
                peer=conn.peer,
                status=status_name(status),
            )
            return
        self._bound[conn] = None
        log.info(
            "smpp bound", system_id=request.system_id, bind_type=request.bind_type, peer=conn.peer
        )
        await self._notify(self._on_bound, conn, "on_bound")

    async def _check(self, request: BindRequest) -> int:
        try:
            return int(await self._authenticate(request))
        except Exception:
            log.exception("smpp authenticator failed", system_id=request.system_id)
            return CommandStatus.ESME_RBINDFAIL

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
