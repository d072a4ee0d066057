"""The storage layer on SQLite and PostgreSQL: migrations match the schema, constraints hold."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from kodeord.adapters.db import migrate
from kodeord.adapters.db.customers import CustomerRepository
from kodeord.adapters.db.engine import Database, DatabaseUrlError, database_urls
from kodeord.adapters.db.keywords import LeaseRepository, NumberRepository
from kodeord.adapters.db.schema import metadata
from kodeord.app.accounts.customers import Principal
from kodeord.app.errors import Conflict
from kodeord.app.keywords import leasing as keywords
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.wiring import make_context

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_migrations_match_the_schema(database_url: str) -> None:
    engine = create_engine(database_urls(database_url).migrations)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []
    assert not migrate.pending(database_url)


@pytest.mark.parametrize(
    ("url", "runtime"),
    [
        ("sqlite:///var/k.db", "sqlite+inline:///var/k.db"),
        ("sqlite:////abs/k.db", "sqlite+inline:////abs/k.db"),
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_urls(url: str, runtime: str) -> None:
    assert database_urls(url).runtime == runtime


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url", ""])
def test_unsupported_database_urls(url: str) -> None:
    with pytest.raises(DatabaseUrlError):
        database_urls(url)


async def _seed(db: Database) -> tuple[int, int]:
    async with db.transaction() as conn:
        first = (await CustomerRepository(conn).add("A", NOW)).id
        second = (await CustomerRepository(conn).add("B", NOW)).id
        number = ShortNumber("2077", NumberMode.SHARED, None, False, 0, 0, 1000)
        assert await NumberRepository(conn).add(number, NOW)
        assert not await NumberRepository(conn).add(number, NOW)
    return first, second


def test_timestamps_come_back_as_utc(database_url: str) -> None:
    async def scenario() -> None:
        db = Database(database_url)
        try:
            await _seed(db)
            async with db.read() as conn:
                customers = await CustomerRepository(conn).all()
            assert customers[0].created_at == NOW and customers[0].created_at.tzinfo is not None
        finally:
            await db.close()

    asyncio.run(scenario())


def test_concurrent_leases_of_one_fold_have_one_winner(database_url: str) -> None:
    """Twenty leases of spellings that fold alike, at once: exactly one wins."""

    async def scenario() -> None:
        db = Database(database_url)
        try:
            first, second = await _seed(db)
            ctx = make_context(db, clock=lambda: NOW)
            spellings = ["Blåbær", "BLAABAER", "blabaer", "BLÅBAER", "blaabær"] * 4
            attempts = [
                keywords.lease(ctx, Principal(first if i % 2 else second), "2077", word)
                for i, word in enumerate(spellings)
            ]
            results = await asyncio.gather(*attempts, return_exceptions=True)
            winners = [r for r in results if isinstance(r, dict)]
            losers = [r for r in results if isinstance(r, Conflict)]
            assert len(winners) == 1 and len(losers) == len(spellings) - 1
            async with db.read() as conn:
                held = await LeaseRepository(conn).holders("2077", ["BLABAER"])
            assert held == {"BLABAER": winners[0]["customer_id"]}
        finally:
            await db.close()

    asyncio.run(scenario())
