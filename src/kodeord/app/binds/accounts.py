"""Customers' SMPP accounts and how a bind is authenticated against them.

Rules:
- The admin issues `(system_id, password)` per customer, and a customer's owner its
  own (the console); only a salted scrypt hash of the password is stored (8 characters
  is all SMPP allows, so the hash must be slow). The password is generated unless one is
  typed: 6 to 8 printable ASCII characters without spaces.
- A customer lists and revokes only its own accounts: another customer's is "not
  found", never "forbidden".
  A system_id is unique for ever: a revoked account keeps its name.
- A bind is checked against the account every time (so a revoked account cannot bind),
  and a successful check is remembered in memory so a reconnecting client does not pay
  for scrypt again. Revoking forgets it and closes this process's open binds of it.
- A suspended customer's binds are refused with ESME_RBINDFAIL, but only once the
  password matched (a guesser learns nothing new); suspending closes its open binds.
- An unknown or revoked system_id and a wrong password are refused alike
  (ESME_RINVPASWD), and an unknown one costs a scrypt too, so neither the answer nor its
  time tells which accounts exist. At most `max_password_checks` scrypts run at once
  (the rest wait), so a flood of binds cannot take every core; the SMPP server's
  throttle keeps a guesser from getting that far often.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
from typing import Any, Protocol

from kodeord.app.accounts.customers import Principal
from kodeord.app.binds.ports import BindRequest, BindsTx, SmppAccount
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Invalid, NotFound
from kodeord.smpp.constants import CommandStatus

S = CommandStatus
SYSTEM_ID = re.compile(r"[A-Za-z0-9_.-]{1,15}")
PASSWORD = re.compile(r"[!-~]{6,8}")  # a C-Octet String of at most 9 octets (SMPP 3.4 §4.1.1)
_SCRYPT: dict[str, int] = {"n": 2**14, "r": 8, "p": 1, "dklen": 24}
_DECOY_HASH = "scrypt$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 32
"""Checked against for an unknown system_id: as slow as a real account, never a match."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def hash_password(password: str, salt: bytes) -> str:
    """`scrypt$<salt>$<hash>` (62 characters with a 16-octet salt)."""
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    scheme, _, rest = stored.partition("$")
    salt_text, _, _ = rest.partition("$")
    if scheme != "scrypt" or not salt_text:
        return False
    salt = base64.urlsafe_b64decode(salt_text + "=" * (-len(salt_text) % 4))
    return hmac.compare_digest(hash_password(password, salt), stored)


# --- the admin's and the customer's use cases ---------------------------------------


def account_view(account: SmppAccount) -> dict[str, Any]:
    return {
        "system_id": account.system_id,
        "customer_id": account.customer_id,
        "created_at": account.created_at,
        "revoked_at": account.revoked_at,
    }


def _owner(principal: Principal) -> int:
    if principal.customer_id is None:
        raise Invalid("customer_only", "the admin manages accounts under /v1/customers/{id}")
    return principal.customer_id


def _check(system_id: str | None, password: str | None) -> None:
    if system_id is not None and not SYSTEM_ID.fullmatch(system_id):
        raise Invalid(
            "invalid_system_id",
            "system_id must be 1 to 15 letters, digits, '.', '_' or '-'",
            field="system_id",
        )
    if password is not None and not PASSWORD.fullmatch(password):
        message = "the password is 6 to 8 printable ASCII characters without spaces"
        raise Invalid("invalid_password", message, field="password")


async def create_account(
    ctx: Context[BindsTx],
    customer_id: int,
    system_id: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """A new SMPP account; its password is returned this once (only a hash is kept)."""
    _check(system_id, password)
    password = password or _b64(ctx.random_bytes(6))  # 8 characters: SMPP's maximum
    password_hash = await asyncio.to_thread(hash_password, password, ctx.random_bytes(16))
    wanted = ""
    for _ in range(5):  # a generated system_id that is taken: draw again
        wanted = system_id or f"k{customer_id}{ctx.random_bytes(3).hex()}"[:15]

        async def insert(tx: BindsTx, wanted: str = wanted) -> SmppAccount | None:
            if await tx.customers.get(customer_id) is None:
                raise NotFound("customer_not_found", f"no customer {customer_id}")
            return await tx.smpp_accounts.insert(customer_id, wanted, password_hash, ctx.clock())

        account = await ctx.storage.write(insert)
        if account is not None:
            return {**account_view(account), "password": password}
        if system_id is not None:
            break
    raise Conflict("system_id_taken", f"the system_id {wanted!r} is taken")


async def create_own_account(
    ctx: Context[BindsTx],
    principal: Principal,
    system_id: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    return await create_account(ctx, _owner(principal), system_id, password)


async def list_own_accounts(ctx: Context[BindsTx], principal: Principal) -> list[dict[str, Any]]:
    return await list_accounts(ctx, _owner(principal))


async def list_accounts(ctx: Context[BindsTx], customer_id: int) -> list[dict[str, Any]]:
    async with ctx.storage.read() as tx:
        if await tx.customers.get(customer_id) is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        return [account_view(a) for a in await tx.smpp_accounts.of_customer(customer_id)]


class BindCloser(Protocol):
    async def close_binds(self, system_id: str) -> None: ...


async def revoke_own_account(
    ctx: Context[BindsTx], principal: Principal, system_id: str, server: BindCloser | None
) -> dict[str, Any]:
    return await revoke_account(ctx, system_id, server, _owner(principal))


async def revoke_account(
    ctx: Context[BindsTx], system_id: str, server: BindCloser | None, owner: int | None = None
) -> dict[str, Any]:
    """Revoke the account (of `owner` only, when named) and close this process's binds
    of it."""

    async def revoke(tx: BindsTx) -> SmppAccount | None:
        if owner is not None:
            found = await tx.smpp_accounts.get(system_id)
            if found is None or found.customer_id != owner:
                return None
        return await tx.smpp_accounts.revoke(system_id, ctx.clock())

    account = await ctx.storage.write(revoke)
    if account is None:
        raise NotFound("smpp_account_not_found", f"no SMPP account {system_id!r}")
    if server is not None:
        await server.close_binds(system_id)
    return account_view(account)


# --- binds ---------------------------------------------------------------------------


class Authenticator:
    """Checks binds against the accounts; remembers which customer each system_id is."""

    def __init__(self, ctx: Context[BindsTx], max_password_checks: int = 1) -> None:
        if max_password_checks < 1:
            raise ValueError("max_password_checks must be at least 1")
        self.ctx = ctx
        self._password_checks = asyncio.Semaphore(max_password_checks)
        self._customers: dict[str, int] = {}  # system_id → customer, from its last good bind
        self._verified: dict[str, tuple[str, bytes]] = {}  # system_id → (hash, sha256(pw))

    async def authenticate(self, request: BindRequest) -> int:
        """The bind's command_status: ESME_ROK, ESME_RINVPASWD or (the customer is
        suspended) ESME_RBINDFAIL."""
        async with self.ctx.storage.read() as tx:
            account = await tx.smpp_accounts.get(request.system_id)
            customer = None if account is None else await tx.customers.get(account.customer_id)
        if account is None or account.revoked_at is not None:
            await self._password_matches(request.password, _DECOY_HASH)
            return S.ESME_RINVPASWD  # as for a wrong password: no account enumeration
        presented = hashlib.sha256(request.password.encode()).digest()
        known = self._verified.get(request.system_id)
        if known is None or known[0] != account.password_hash:
            if not await self._password_matches(request.password, account.password_hash):
                return S.ESME_RINVPASWD
            self._verified[request.system_id] = (account.password_hash, presented)
        elif not hmac.compare_digest(known[1], presented):
            return S.ESME_RINVPASWD
        if customer is None or customer.suspended:
            return S.ESME_RBINDFAIL
        self._customers[request.system_id] = account.customer_id
        return S.ESME_ROK

    def customer_of(self, system_id: str) -> int:
        """The customer of a system_id that bound (KeyError if it never did)."""
        return self._customers[system_id]

    def forget(self, system_id: str) -> None:
        """The account was revoked: check its next bind in full."""
        self._verified.pop(system_id, None)

    async def _password_matches(self, password: str, stored: str) -> bool:
        """scrypt off the loop, at most `max_password_checks` at once."""
        async with self._password_checks:
            return await asyncio.to_thread(password_matches, password, stored)
