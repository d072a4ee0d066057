"""The registry cache's signing secrets: one read for a burst, nothing stale kept; and
the changes this process tells it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import insert

from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.registry import RoutingFactsRepository
from kodeord.adapters.db.schema import customers, signing_secrets
from kodeord.adapters.db.storage import SqlStorage
from kodeord.adapters.queue import JobQueue
from kodeord.adapters.secretbox import SecretBox
from kodeord.app.keywords.changes import RoutingChanges
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


def _cache(db: Database, changes: RoutingChanges | None = None) -> RegistryCache:
    return RegistryCache(SqlStorage(db, JobQueue(db)), BOX, changes or RoutingChanges(), ttl=60)


def test_a_burst_of_misses_reads_the_secret_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = 0
    real = RoutingFactsRepository.signing_secrets

    async def counted(facts: Any, ids: Any) -> dict[int, str]:
        nonlocal reads
        reads += 1
        return await real(facts, ids)

    monkeypatch.setattr(RoutingFactsRepository, "signing_secrets", counted)

    async def scenario(db: Database) -> None:
        customer_id = await _customer(db)
        cache = _cache(db)
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
    real = RoutingFactsRepository.signing_secrets

    async def slow(facts: Any, ids: Any) -> dict[int, str]:
        nonlocal reads
        reads += 1
        found = await real(facts, ids)
        reading.set()
        await go_on.wait()
        return found

    monkeypatch.setattr(RoutingFactsRepository, "signing_secrets", slow)

    async def scenario(db: Database) -> None:
        customer_id = await _customer(db)
        cache = _cache(db)
        first = asyncio.ensure_future(cache.signing_secret(customer_id))
        await reading.wait()
        cache.invalidate()  # the secret was rotated meanwhile
        go_on.set()
        assert await first == SECRET  # this caller gets what it read …
        assert await cache.signing_secret(customer_id) == SECRET
        assert reads == 2  # … but it was not cached: the next call read again

    run_with_database(database_url, scenario)


def test_a_rotation_told_while_the_secret_was_read_is_not_kept(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same race, told through `RoutingChanges` as the use cases tell it."""
    reading = asyncio.Event()
    go_on = asyncio.Event()
    reads = 0
    real = RoutingFactsRepository.signing_secrets

    async def slow(facts: Any, ids: Any) -> dict[int, str]:
        nonlocal reads
        reads += 1
        found = await real(facts, ids)
        reading.set()
        await go_on.wait()
        return found

    monkeypatch.setattr(RoutingFactsRepository, "signing_secrets", slow)

    async def scenario(db: Database) -> None:
        customer_id = await _customer(db)
        changes = RoutingChanges()
        cache = _cache(db, changes)
        first = asyncio.ensure_future(cache.signing_secret(customer_id))
        await reading.wait()
        changes.changed(None)  # rotate_signing_secret tells every number
        go_on.set()
        assert await first == SECRET
        assert await cache.signing_secret(customer_id) == SECRET
        assert reads == 2

    run_with_database(database_url, scenario)


def test_a_cached_secret_is_dropped_when_a_change_is_told(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        customer_id = await _customer(db)
        changes = RoutingChanges()
        cache = _cache(db, changes)
        assert await cache.signing_secret(customer_id) == SECRET
        async with db.transaction() as conn:
            await conn.execute(signing_secrets.delete())
        assert await cache.signing_secret(customer_id) == SECRET  # cached for the TTL
        changes.changed("2077")  # one number's facts: secrets stay
        assert await cache.signing_secret(customer_id) == SECRET
        changes.changed(None)
        assert await cache.signing_secret(customer_id) is None

    run_with_database(database_url, scenario)
