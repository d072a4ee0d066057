"""Customers, their API keys, and who a presented bearer token belongs to.

Rules for keys:
- A key is shown once, when it is made; only a hash of its secret is kept. A listing
  names it by id, prefix (`ko_12_`), name, when it was made, last used and revoked.
- A revoked key is refused from the next request on: authentication reads the key's row
  every time and accepts only keys without `revoked_at`.
- Rotating makes a new key with the old one's name and revokes the old one, in one
  transaction.
- The admin manages any customer's keys, a customer only its own: another customer's key
  is "not found", never "forbidden".
- `last_used_at` is written at most once a minute per key and process (and not when the
  row shows a use within the minute): the send path must not write on every request.
- Storage through `AccountsTx` (app/accounts/ports.py); the views are the API's shapes.

Rules for suspension (the provider's, admin only):
- A suspended customer's API keys are refused with 403 `customer_suspended` (after the key
  itself is checked, so the answer tells nothing to someone without a valid key); its SMPP
  binds are refused with ESME_RBINDFAIL and its open binds are closed (app/binds).
- Its MO go to the operator inbox (route step `suspended`, as for a suspended keyword):
  nothing is delivered to a customer the provider has stopped, and the provider can hand
  a message over once it is resumed (app/mo/operator_inbox.py). Its keywords stay leased,
  its MT already queued are still sent, its data stay readable by the admin.
- Suspending a suspended customer (or resuming an active one) changes nothing and says so.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kodeord.app.accounts.ports import AccountsTx, ApiKey, Customer
from kodeord.app.context import Context
from kodeord.app.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from kodeord.domain import apikeys

Ctx = Context[AccountsTx]
MAX_NAME_LENGTH = 200
MAX_KEY_NAME_LENGTH = 100
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the provider's admin, or one customer (through one of its keys),
    or a console user (`user_id`) acting as the provider or for its customer."""

    customer_id: int | None
    key_id: int | None = None
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.customer_id is None

    @property
    def actor(self) -> str:
        """Who, as the audit log names it."""
        who = f"user:{self.user_id}" if self.user_id is not None else f"key:{self.key_id}"
        if self.customer_id is None:
            return "admin" if self.user_id is None else f"admin/{who}"
        return f"customer:{self.customer_id}/{who}"


ADMIN = Principal(customer_id=None)


async def authenticate(ctx: Ctx, token: str) -> Principal:
    if ctx.admin_token and hmac.compare_digest(token.encode(), ctx.admin_token.encode()):
        return ADMIN
    parsed = apikeys.parse_key(token)
    if parsed is None or parsed.prefix != apikeys.KEY_PREFIX:
        raise Unauthorized("invalid_token", "the bearer token is not a valid API key")
    async with ctx.storage.read() as tx:
        row = await tx.api_keys.active(parsed.key_id)  # revoked keys are not found
    if row is None or not apikeys.secret_matches(parsed.secret, row.key_hash):
        raise Unauthorized("invalid_token", "the bearer token is not a valid API key")
    if row.customer_suspended:
        raise Forbidden("customer_suspended", "this customer is suspended by the provider")
    await _record_use(ctx, row)
    return Principal(customer_id=row.customer_id, key_id=row.id)


async def _record_use(ctx: Ctx, row: ApiKey) -> None:
    now = ctx.clock()
    known = [t for t in (row.last_used_at, ctx.key_last_used.get(row.id)) if t is not None]
    if known and now - max(known) < LAST_USED_EVERY:
        return
    ctx.key_last_used[row.id] = now  # before the write: requests meanwhile do not write too
    await ctx.storage.write(lambda tx: tx.api_keys.used(row.id, now))


# --- customers -----------------------------------------------------------------------


def customer_view(row: Customer) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "created_at": row.created_at,
        "state": "suspended" if row.suspended else "active",
        "suspended_at": row.suspended_at,
    }


async def create_customer(ctx: Ctx, name: str) -> dict[str, Any]:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise Invalid("invalid_name", f"name must be 1 to {MAX_NAME_LENGTH} characters")
    async with ctx.storage.transaction() as tx:
        row = await tx.customers.add(name, ctx.clock())
    return customer_view(row)


async def list_customers(ctx: Ctx) -> list[dict[str, Any]]:
    async with ctx.storage.read() as tx:
        return [customer_view(row) for row in await tx.customers.all()]


async def _set_suspended(ctx: Ctx, customer_id: int, suspend: bool) -> dict[str, Any]:
    async with ctx.storage.transaction() as tx:
        row = await tx.customers.get(customer_id)
        if row is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        changed = row.suspended != suspend
        if changed:
            await tx.customers.set_suspended(customer_id, ctx.clock() if suspend else None)
            row = await tx.customers.get(customer_id)
            assert row is not None
    if changed:
        ctx.routing_changed(None)  # the router sends a suspended customer's MO to the inbox
    return {**customer_view(row), "changed": changed}


async def suspend_customer(ctx: Ctx, customer_id: int) -> dict[str, Any]:
    """Suspend: keys and binds refused, MO to the operator inbox (see the module's rules)."""
    return await _set_suspended(ctx, customer_id, True)


async def resume_customer(ctx: Ctx, customer_id: int) -> dict[str, Any]:
    return await _set_suspended(ctx, customer_id, False)


# --- API keys ------------------------------------------------------------------------


def key_view(row: ApiKey) -> dict[str, Any]:
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "prefix": apikeys.display_prefix(row.id),
        "name": row.name,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
        "revoked": row.revoked_at is not None,
    }


def _key_name(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip()
    if not name or len(name) > MAX_KEY_NAME_LENGTH:
        raise Invalid("invalid_key_name", f"a key's name is 1 to {MAX_KEY_NAME_LENGTH} characters")
    return name


def _owner(principal: Principal, customer_id: int | None) -> int:
    """Whose keys a call is about: the admin names the customer, a customer is itself."""
    if principal.customer_id is not None:
        return principal.customer_id
    if customer_id is None:
        raise Invalid("customer_only", "the admin manages keys under /v1/customers/{id}/api-keys")
    return customer_id


async def _new_key(ctx: Ctx, tx: AccountsTx, customer_id: int, name: str | None) -> dict[str, Any]:
    secret = apikeys.new_secret(ctx.random_bytes(32))
    key_id = await tx.api_keys.add(customer_id, apikeys.hash_secret(secret), ctx.clock(), name)
    row = await _stored(tx, key_id)
    return {**key_view(row), "key": apikeys.format_key(key_id, secret)}


async def _stored(tx: AccountsTx, key_id: int) -> ApiKey:
    """A key this unit of work wrote or found already."""
    row = await tx.api_keys.get(key_id)
    assert row is not None
    return row


async def create_api_key(ctx: Ctx, customer_id: int, name: str | None = None) -> dict[str, Any]:
    """A new key for the customer; the key itself is returned this once and never stored."""
    name = _key_name(name)
    async with ctx.storage.transaction() as tx:
        if await tx.customers.get(customer_id) is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        return await _new_key(ctx, tx, customer_id, name)


async def create_key(
    ctx: Ctx, principal: Principal, name: str | None, customer_id: int | None = None
) -> dict[str, Any]:
    return await create_api_key(ctx, _owner(principal, customer_id), name)


async def list_keys(
    ctx: Ctx, principal: Principal, customer_id: int | None = None
) -> list[dict[str, Any]]:
    owner = _owner(principal, customer_id)
    async with ctx.storage.read() as tx:
        if await tx.customers.get(owner) is None:
            raise NotFound("customer_not_found", f"no customer {owner}")
        return [key_view(row) for row in await tx.api_keys.of_customer(owner)]


async def _key_of(tx: AccountsTx, owner: int, key_id: int) -> ApiKey:
    row = await tx.api_keys.get(key_id)
    if row is None or row.customer_id != owner:
        raise NotFound("api_key_not_found", f"no API key {key_id}")
    return row


def _refuse_revoked(row: ApiKey) -> None:
    if row.revoked_at is not None:
        raise Conflict("api_key_revoked", f"API key {row.id} is revoked")


async def rename_key(
    ctx: Ctx, principal: Principal, key_id: int, name: str | None, customer_id: int | None
) -> dict[str, Any]:
    owner = _owner(principal, customer_id)
    name = _key_name(name)
    async with ctx.storage.transaction() as tx:
        _refuse_revoked(await _key_of(tx, owner, key_id))
        await tx.api_keys.rename(key_id, name)
        return key_view(await _stored(tx, key_id))


async def revoke_key(
    ctx: Ctx, principal: Principal, key_id: int, customer_id: int | None
) -> dict[str, Any]:
    """Revoke now (a key revoked already stays as it was)."""
    owner = _owner(principal, customer_id)
    async with ctx.storage.transaction() as tx:
        await _key_of(tx, owner, key_id)
        await tx.api_keys.revoke(key_id, ctx.clock())
        return key_view(await _stored(tx, key_id))


async def rotate_key(
    ctx: Ctx, principal: Principal, key_id: int, customer_id: int | None
) -> dict[str, Any]:
    """A new key with the old one's name; the old one is revoked in the same transaction."""
    owner = _owner(principal, customer_id)
    async with ctx.storage.transaction() as tx:
        old = await _key_of(tx, owner, key_id)
        _refuse_revoked(old)
        if not await tx.api_keys.revoke(key_id, ctx.clock()):
            raise Conflict("api_key_revoked", f"API key {key_id} is revoked")
        return {**await _new_key(ctx, tx, owner, old.name), "replaces": key_id}
