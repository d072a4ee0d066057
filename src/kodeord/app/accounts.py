"""Customers, their API keys, and who a presented bearer token belongs to."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from kodeord.adapters.db import repository as repo
from kodeord.app.context import Context
from kodeord.app.errors import Invalid, NotFound, Unauthorized
from kodeord.domain import apikeys

MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the provider's admin, or one customer."""

    customer_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.customer_id is None


ADMIN = Principal(customer_id=None)


async def authenticate(ctx: Context, token: str) -> Principal:
    if ctx.admin_token and hmac.compare_digest(token.encode(), ctx.admin_token.encode()):
        return ADMIN
    parsed = apikeys.parse_key(token)
    if parsed is None or parsed.prefix != apikeys.KEY_PREFIX:
        raise Unauthorized("invalid_token", "the bearer token is not a valid API key")
    async with ctx.db.read() as conn:
        row = await repo.get_api_key(conn, parsed.key_id)
    if row is None or not apikeys.secret_matches(parsed.secret, row.key_hash):
        raise Unauthorized("invalid_token", "the bearer token is not a valid API key")
    return Principal(customer_id=row.customer_id)


def customer_view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "created_at": row.created_at}


async def create_customer(ctx: Context, name: str) -> dict[str, Any]:
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise Invalid("invalid_name", f"name must be 1 to {MAX_NAME_LENGTH} characters")
    async with ctx.db.transaction() as conn:
        row = await repo.insert_customer(conn, name, ctx.clock())
    return customer_view(row)


async def list_customers(ctx: Context) -> list[dict[str, Any]]:
    async with ctx.db.read() as conn:
        return [customer_view(row) for row in await repo.list_customers(conn)]


async def create_api_key(ctx: Context, customer_id: int) -> dict[str, Any]:
    """A new key for the customer; the key itself is returned this once and never stored."""
    secret = apikeys.new_secret(ctx.random_bytes(32))
    async with ctx.db.transaction() as conn:
        if await repo.get_customer(conn, customer_id) is None:
            raise NotFound("customer_not_found", f"no customer {customer_id}")
        key_id = await repo.insert_api_key(
            conn, customer_id, apikeys.hash_secret(secret), ctx.clock()
        )
    return {"id": key_id, "customer_id": customer_id, "key": apikeys.format_key(key_id, secret)}
