"""Schema migrations with Alembic, run from our own code (no alembic.ini needed).

`upgrade(url)` brings a database to the newest revision; `pending(url)` tells whether
it is behind, so `kodeord serve` can refuse to start on an old PostgreSQL schema with
a clear message instead of failing on the first query.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from kodeord.adapters.db.engine import database_urls

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(sync_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url.replace("%", "%%"))
    return config


def _ensure_sqlite_folder(url: str) -> None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str) -> None:
    """Apply every migration the database lacks."""
    urls = database_urls(url)
    _ensure_sqlite_folder(urls.migrations)
    command.upgrade(_config(urls.migrations), "head")


def current_revision(url: str) -> str | None:
    urls = database_urls(url)
    engine = create_engine(urls.migrations)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config("sqlite://")).get_current_head()


def pending(url: str) -> bool:
    return current_revision(url) != head_revision()
