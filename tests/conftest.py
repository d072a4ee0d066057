"""Shared fixtures: a database per test (SQLite file, and PostgreSQL when
KODEORD_TEST_POSTGRES_URL is set) and the gateway's HTTP API on a real socket."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kodeord.adapters.db import migrate
from kodeord.adapters.db.schema import metadata
from tests.support import ApiServer

POSTGRES_URL = os.environ.get("KODEORD_TEST_POSTGRES_URL")
ADMIN_TOKEN = "test-admin-token"

# Hypothesis checks what comes out, not how fast: its 200 ms per-example deadline failed
# a codec round trip on a starved CI machine. Speed is the benchmarks' business.
settings.register_profile("kodeord", deadline=None)
settings.load_profile("kodeord")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
        metafunc.parametrize("backend", backends, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `postgres` form the PostgreSQL leg: left out when no URL is set."""
    if POSTGRES_URL:
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    assert POSTGRES_URL, "the postgresql leg needs KODEORD_TEST_POSTGRES_URL"
    name = f"kodeord_test_{uuid.uuid4().hex[:12]}"
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(backend: str, tmp_path: os.PathLike[str], request: pytest.FixtureRequest) -> str:
    """An empty, migrated database of the given backend."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/kodeord.db"
        migrate.upgrade(url)
        return url
    url: str = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def api(database_url: str) -> Iterator[ApiServer]:
    """The HTTP API on 127.0.0.1 (a free port), with the admin token ADMIN_TOKEN."""
    with ApiServer(database_url, ADMIN_TOKEN) as server:
        yield server
