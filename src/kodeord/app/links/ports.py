"""The ports of the operator links: what a running link is, how one is made, where what
an operator sends goes, and what a request over a link raises.

Rules:

- `connect(config, on_request)` (a `LinkConnector`, passed in by the composition root:
  adapters/smpp_io/operator_link.py) makes one link, not yet started. The link keeps its
  bind up from `start()` to `stop()` on its own; `submit()` sends one request through the
  bind that is current and returns the response whatever its command_status.
- A request that may not have been answered raises `LinkClosed` (the connection ended;
  `written` False: it never left, safe to send anywhere) or `LinkRequestFailed` (it left,
  no usable answer came). Both are `LinkFailed`. The SMPP adapter raises exactly these
  (adapters/smpp_io/errors.py names them ConnectionClosed and RequestFailed). A
  `TimeoutError` is the caller's own `timeout` passing.
- Every deliver_sm or data_sm an operator sends goes to the `InboundSink` the links were
  built with (the MO intake, a higher layer: it is passed in, never imported); its answer
  is the command_status to respond with. Other requests are answered ESME_RINVCMDID.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from kodeord.smpp.pdu import DataSm, DeliverSm, Pdu


class BindType(StrEnum):
    """How a link binds (SMPP 3.4 §4.1): a receiver link cannot send."""

    TRANSCEIVER = "transceiver"
    RECEIVER = "receiver"
    TRANSMITTER = "transmitter"


class LinkState(StrEnum):
    """Where a link's keep-bound loop is; `stopped` also names a link not running."""

    CONNECTING = "connecting"
    BINDING = "binding"
    BOUND = "bound"
    BACKOFF = "backoff"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """One operator link as configured (the password in the clear: opened already)."""

    name: str
    host: str
    port: int
    system_id: str
    password: str
    bind_type: str = BindType.TRANSCEIVER
    window: int = 10
    max_rate: float | None = None

    def problem(self) -> str | None:
        if not 1 <= len(self.name) <= 64:
            return "name must be 1 to 64 characters"
        if self.bind_type not in tuple(BindType):
            return f"bind must be one of {', '.join(BindType)}"
        if not 1 <= self.port <= 65535:
            return "port must be 1 to 65535"
        if not 1 <= self.window <= 1000:
            return "window must be 1 to 1000"
        if self.max_rate is not None and self.max_rate <= 0:
            return "max_rate must be positive"
        if len(self.system_id) > 15 or len(self.password) > 8:
            return "system_id is at most 15 characters and password at most 8 (SMPP 3.4)"
        return None

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "system_id": self.system_id,
            "bind": self.bind_type,
            "window": self.window,
            "max_rate": self.max_rate,
        }


class LinkFailed(Exception):
    """A request over a link may not have been answered (see the module docstring)."""


class LinkClosed(LinkFailed):
    """The connection ended; `.unanswered` holds our requests that got no response (to
    re-queue). `.written` is False when they never reached the wire (safe to resend)."""

    def __init__(self, reason: str, unanswered: list[Pdu] | None = None, *, written: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.unanswered: list[Pdu] = unanswered or []
        self.written = written


class LinkRequestFailed(LinkFailed):
    """Our request got no usable answer; `.request` is it, as numbered on the wire."""

    def __init__(self, message: str, request: Pdu) -> None:
        super().__init__(message)
        self.request = request


class LinkConnection(Protocol):
    """The connection a request from the operator came on: answer it there."""

    async def respond(self, request: Pdu, status: int = 0, **fields: Any) -> None: ...


RequestHandler = Callable[[LinkConnection, Pdu], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LinkStats:
    """A link's doing right now (kept in memory by the link; gone at a restart)."""

    in_use: int  # requests awaiting the operator's answer (of the link's window)
    submitted: int  # messages the operator accepted since the link started
    last_error: str | None
    last_error_at: float | None  # Unix time


class OperatorLink(Protocol):
    """One link to an operator's SMSC, keeping itself bound while started."""

    @property
    def is_bound(self) -> bool: ...

    @property
    def state(self) -> str:
        """A `LinkState` value."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def submit(self, pdu: Pdu, *, timeout: float | None = None) -> Pdu:
        """The response to `pdu`; LinkFailed or TimeoutError when none came."""
        ...

    def stats(self) -> LinkStats: ...


LinkConnector = Callable[[LinkConfig, RequestHandler], OperatorLink]


class InboundSink(Protocol):
    """Where an operator's deliver_sm and data_sm go (stored before they are answered)."""

    async def receive(self, link: str, pdu: DeliverSm | DataSm) -> int:
        """The command_status to answer the operator with."""
        ...


@dataclass(frozen=True, slots=True)
class StoredLink:
    """An operator link as stored: its password sealed (app/ports.SecretSealer)."""

    name: str
    host: str
    port: int
    system_id: str
    sealed_password: str
    bind_type: str
    window: int
    max_rate: float | None
    enabled: bool


class LinkStore(Protocol):
    """The `operator_links` table (`tx.links`)."""

    async def all(self) -> list[StoredLink]:
        """Every stored link, by id (the order they were added)."""
        ...

    async def add(self, link: StoredLink, now: datetime) -> bool:
        """Store a new link; False when one with its name exists."""
        ...

    async def delete(self, name: str) -> bool:
        """Delete the link; whether there was one."""
        ...


class LinksTx(Protocol):
    @property
    def links(self) -> LinkStore: ...
