"""What the customers' SMPP binds need from outside: accounts, the server, connections.

Rules:
- A unit of work of binds sees `BindsTx`: the SMPP accounts (`tx.smpp_accounts`), the
  customers (only to find one) and the stored MT messages (for receipts).
  adapters/db/smpp_accounts.py implements the accounts; records are frozen dataclasses.
- The SMPP server is the adapter's (adapters/smpp_io SmscServer): the composition root
  passes a `ServerFactory` that builds one listening on an address with our callbacks,
  so this package never imports the adapter. A bound customer connection is a
  `CustomerConnection`; its requests raise links' `LinkFailed` (or TimeoutError) when
  no usable answer came.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kodeord.app.mt.ports import CustomerLookup, MtMessageStore
from kodeord.smpp.pdu import Pdu


@dataclass(frozen=True, slots=True)
class SmppAccount:
    id: int
    customer_id: int
    system_id: str
    password_hash: str = field(repr=False)
    created_at: datetime
    revoked_at: datetime | None


class SmppAccountStore(Protocol):
    async def insert(
        self, customer_id: int, system_id: str, password_hash: str, now: datetime
    ) -> SmppAccount | None:
        """The new account, or None when `system_id` is taken (revoked ones too)."""
        ...

    async def get(self, system_id: str) -> SmppAccount | None: ...

    async def of_customer(self, customer_id: int) -> list[SmppAccount]: ...

    async def revoke(self, system_id: str, now: datetime) -> SmppAccount | None:
        """Mark it revoked (once); the account as it is now, None if there is none."""
        ...


class BindsTx(Protocol):
    @property
    def smpp_accounts(self) -> SmppAccountStore: ...

    @property
    def customers(self) -> CustomerLookup: ...

    @property
    def mt_messages(self) -> MtMessageStore: ...


@dataclass(frozen=True, slots=True)
class BindRequest:
    """What an ESME presented in its bind (SMPP 3.4 4.1)."""

    system_id: str
    password: str = field(repr=False)


class CustomerConnection(Protocol):
    """One customer's bound connection to us."""

    @property
    def system_id(self) -> str: ...

    @property
    def bind_type(self) -> str: ...

    @property
    def is_bound(self) -> bool: ...

    async def request(self, pdu: Pdu, *, timeout: float | None = None) -> Pdu: ...

    async def respond(self, request: Pdu, status: int = 0, **fields: Any) -> None: ...

    async def unbind(self, timeout: float = 5.0) -> None: ...


class SmppServer(Protocol):
    async def start(self) -> tuple[str, int]:
        """Listen (OSError when the address cannot be used); the real address."""
        ...

    async def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ServerCallbacks:
    """What the server calls: a bind's check (its command_status), each request, and
    each connection once bound and once closed."""

    authenticate: Callable[[BindRequest], Awaitable[int]]
    on_request: Callable[[CustomerConnection, Pdu], Awaitable[None]]
    on_bound: Callable[[CustomerConnection], None]
    on_closed: Callable[[CustomerConnection], None]


ServerFactory = Callable[[str, int, ServerCallbacks], SmppServer]
"""Builds the customers' SMPP server on (host, port); started by the caller."""
