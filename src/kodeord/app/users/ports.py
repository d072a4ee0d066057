"""The ports of console users: stored users, sessions, sign-in failures, one-time links,
the password hasher and the mail relay.

Rules:
- A unit of work of this capability sees `UsersTx` (adapters/db/users.py implements the
  stores). Stores never commit and never hash: the use cases in signin.py and users.py
  decide, the stores keep.
- Only hashes of session tokens and link tokens are stored; a password only as the
  hasher's output (argon2id, adapters/passwords.py).
- `LinkStore.take` is the one place a link is used: it marks the row used and answers the
  user only when the row was unused and unexpired, in one statement, so two clicks on one
  link cannot both set a password.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kodeord.app.accounts.ports import AuditStore, CustomerStore
from kodeord.app.delivery import DeliveryOutcome
from kodeord.domain.signin import Failures
from kodeord.domain.users import LinkPurpose, Role


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    role: Role
    customer_id: int | None
    language: str
    created_at: datetime
    password_hash: str | None = None  # None: invited, no password chosen yet
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.password_hash is not None and self.disabled_at is None


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    role: Role
    customer_id: int | None
    language: str
    created_at: datetime
    password_hash: str | None = None


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    token_hash: str
    user_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


class UserStore(Protocol):
    async def add(self, user: NewUser) -> User | None:
        """The new user, or None when the address has an account already."""
        ...

    async def get(self, user_id: int) -> User | None: ...

    async def by_email(self, email: str) -> User | None: ...

    async def of_customer(self, customer_id: int) -> list[User]: ...

    async def any_provider(self) -> bool: ...

    async def set_password(self, user_id: int, password_hash: str) -> None: ...

    async def set_language(self, user_id: int, language: str) -> None: ...


class SessionStore(Protocol):
    async def add(self, session: ConsoleSession) -> None: ...

    async def get(self, token_hash: str) -> ConsoleSession | None: ...

    async def touch(self, token_hash: str, now: datetime) -> None: ...

    async def remove(self, token_hash: str) -> None: ...

    async def remove_of_user(self, user_id: int) -> int: ...

    async def remove_stale(self, seen_before: datetime, created_before: datetime) -> int:
        """Sessions idle since before `seen_before` or made before `created_before`."""
        ...


class FailureStore(Protocol):
    async def get(self, keys: Sequence[str]) -> dict[str, Failures]: ...

    async def put(self, key: str, failures: Failures) -> None: ...

    async def clear(self, key: str) -> None: ...

    async def remove_before(self, first_before: datetime, now: datetime) -> int:
        """Records whose window began before `first_before` and that lock nothing at `now`."""
        ...


class LinkStore(Protocol):
    async def add(
        self,
        token_hash: str,
        purpose: LinkPurpose,
        user_id: int,
        now: datetime,
        expires_at: datetime,
    ) -> None: ...

    async def peek(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> int | None:
        """The user of an unused, unexpired link (the link stays unused)."""
        ...

    async def take(self, token_hash: str, purpose: LinkPurpose, now: datetime) -> int | None:
        """Mark the link used; its user only if it was unused and unexpired."""
        ...

    async def remove_before(self, expired_before: datetime) -> int: ...


class UsersTx(Protocol):
    @property
    def users(self) -> UserStore: ...

    @property
    def console_sessions(self) -> SessionStore: ...

    @property
    def login_failures(self) -> FailureStore: ...

    @property
    def user_links(self) -> LinkStore: ...

    @property
    def customers(self) -> CustomerStore: ...

    @property
    def audit(self) -> AuditStore: ...


class PasswordHasher(Protocol):
    """Slow hashing, off the event loop (adapters/passwords.Argon2Passwords)."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...

    async def decoy(self, password: str) -> None:
        """As much work as a verify, for an address that has no password to check."""
        ...


class Mailer(Protocol):
    async def send(
        self, to: str, subject: str, body: str, *, message_id: str
    ) -> DeliveryOutcome: ...
