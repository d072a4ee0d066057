"""The registry cache's signing secrets: one read for a burst, nothing stale kept."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import insert

from kodeord.adapters.db import messages as repo
from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.schema import customers, signing_secrets
from kodeord.adapters.secretbox import SecretBox
from kodeord.app.keywords.registry import RegistryCache
from tests.queue.support import NOW, run_with_database

SECRET = "whsec_" + "A" * 43 + "="
BOX = SecretBox.for_this_process()


async def _customer(db: Database) -> int:
    async with db.transaction() as conn:
        found = await conn.execute(
            insert(customers).values(name="Pizza AS", created_at=NOW).returning(customers.c.id)
        )
        customer_id = int(found.scalar_one())
        await conn.execute(
            insert(signing_secrets).values(
                customer_id=customer_id, secret=BOX.seal(SECRET), created_at=NOW
            )
        )
    return customer_id


def test_a_burst_of_misses_reads_the_secret_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = 0
    real = repo.signing_secrets_of

    async def counted(conn: Any, ids: Any) -> dict[int, str]:
        nonlocal reads
        reads += 1
        return await real(conn, ids)

    monkeypatch.setattr(repo, "signing_secrets_of", counted)

    async def scenario(db: Database) -> None:
        customer_id = await _customer(db)
        cache = RegistryCache(db, BOX, ttl=60)
        found = await asyncio.gather(*(cache.signing_secret(customer_id) for _ in range(50)))
        assert found == [SECRET] * 50
        assert reads == 1

    run_with_database(database_url, scenario)


def test_a_secret_read_while_secrets_were_forgotten_is_not_kept(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reading = asyncio.Event()
    go_on = asyncio.Event()
    reads = 0
    real = repo.signing_secrets_of

    async def slow(conn: Any, ids: Any) -> dict[int, str]:
        nonlocal reads
        reads += 1
        found = await real(conn, ids)
        reading.set()
        await go_on.wait()
        return found

    monkeypatch.setattr(repo, "signing_secrets_of", slow)

    async def scenario(db: Database) -> None:
        customer_id = await _customer(db)
        cache = RegistryCache(db, BOX, ttl=60)
        first = asyncio.ensure_future(cache.signing_secret(customer_id))
        await reading.wait()
        cache.invalidate()  # the secret was rotated meanwhile
        go_on.set()
        assert await first == SECRET  # this caller gets what it read …
        assert await cache.signing_secret(customer_id) == SECRET
        assert reads == 2  # … but it was not cached: the next call read again

    run_with_database(database_url, scenario)
