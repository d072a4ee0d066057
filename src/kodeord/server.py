"""`kodeord serve`: the whole gateway in one process and one asyncio event loop.

Start-up order: settings → schema (migrated here for SQLite; for PostgreSQL
`kodeord db upgrade` must have run, else we stop with a clear message) → HTTP API
(uvicorn, started from our code so later parts — operator links, the SMPP server, the
simulator — share the same loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import structlog
import uvicorn

from kodeord.adapters.db import migrate
from kodeord.adapters.db.engine import Database
from kodeord.app.context import Context
from kodeord.config import Settings, SettingsError, local_admin_token
from kodeord.web.api import create_app

log = structlog.get_logger(__name__)


class EmbeddedUvicorn(uvicorn.Server):
    """uvicorn inside our loop: signals are ours to handle, not uvicorn's (it would
    re-raise SIGTERM after shutdown, and later parts of the gateway must stop too)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def prepare_schema(settings: Settings) -> None:
    if settings.embedded:
        migrate.upgrade(settings.database_url)
    elif migrate.pending(settings.database_url):
        raise SettingsError("the database schema is not up to date: run `kodeord db upgrade` first")


async def serve(settings: Settings) -> None:
    admin_token = settings.admin_token
    if admin_token is None and settings.embedded:
        admin_token = local_admin_token()
        log.info("admin token (from var/admin-token)", token=admin_token)
    db = Database(settings.database_url)
    ctx = Context(db=db, admin_token=admin_token)
    config = uvicorn.Config(
        create_app(ctx),
        host=settings.http.host,
        port=settings.http.port,
        log_level="info",
        access_log=False,
        lifespan="on",
    )
    server = EmbeddedUvicorn(config)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: setattr(server, "should_exit", True))
    log.info("kodeord listening", http=str(settings.http), database=db.dialect)
    try:
        await server.serve()
    finally:
        await db.close()
        log.info("kodeord stopped")


def run(settings: Settings) -> None:
    prepare_schema(settings)
    asyncio.run(serve(settings))
