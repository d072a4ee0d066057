"""The ports of accounts: the stored customers, API keys and audit log entries.

Rules:
- A unit of work of accounts sees `AccountsTx`: `tx.customers`, `tx.api_keys` and
  `tx.audit` (adapters/db/customers.py, api_keys.py, audit.py implement them). Other
  capabilities that only need to know whether a customer exists ask `tx.customers` too.
- Records are frozen dataclasses. An API key record holds the hash of its secret, never
  the secret; an audit entry is only ever added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    name: str
    created_at: datetime
    suspended_at: datetime | None = None  # set while the provider has it suspended

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    customer_id: int
    key_hash: str
    name: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    customer_suspended: bool = False  # read with the key, so authentication needs one query


@dataclass(frozen=True, slots=True)
class NewAuditEntry:
    """An entry as it is written (lengths cut to the columns' already)."""

    at: datetime
    actor: str
    action: str
    target: str | None
    customer_id: int | None
    source: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    customer_id: int | None
    source: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which entries to list, newest first; `before_id` pages back."""

    limit: int
    since: datetime | None = None
    action: str | None = None
    customer_id: int | None = None
    before_id: int | None = None


class CustomerStore(Protocol):
    async def add(self, name: str, now: datetime) -> Customer: ...

    async def all(self) -> list[Customer]:
        """Every customer, by id."""
        ...

    async def get(self, customer_id: int) -> Customer | None: ...

    async def set_suspended(self, customer_id: int, at: datetime | None) -> None:
        """Suspend the customer from `at` on, or (None) resume it."""
        ...


class ApiKeyStore(Protocol):
    async def add(
        self, customer_id: int, key_hash: str, now: datetime, name: str | None
    ) -> int: ...

    async def active(self, key_id: int) -> ApiKey | None:
        """The key if it is not revoked (what authentication may accept), with whether
        its customer is suspended."""
        ...

    async def get(self, key_id: int) -> ApiKey | None:
        """The key, revoked or not."""
        ...

    async def of_customer(self, customer_id: int) -> list[ApiKey]:
        """The customer's keys, by id."""
        ...

    async def rename(self, key_id: int, name: str | None) -> None: ...

    async def used(self, key_id: int, at: datetime) -> None:
        """Record that the key was presented at `at`."""
        ...

    async def revoke(self, key_id: int, now: datetime) -> bool:
        """Revoke the key unless it is revoked already; whether this call revoked it."""
        ...


class AuditStore(Protocol):
    async def add(self, entry: NewAuditEntry) -> int: ...

    async def entries(self, query: AuditQuery) -> list[AuditEntry]: ...


class AccountsTx(Protocol):
    @property
    def customers(self) -> CustomerStore: ...

    @property
    def api_keys(self) -> ApiKeyStore: ...

    @property
    def audit(self) -> AuditStore: ...
