"""`kodeord serve`: the whole gateway in one process and one asyncio event loop.

Start-up order: settings → schema (migrated here for SQLite; for PostgreSQL
`kodeord db upgrade` must have run, else we stop with a clear message) → HTTP API
(uvicorn, started from our code so later parts — operator links, the SMPP server, the
simulator — share the same loop).
"""

from __future__ import annotations

import asyncio

import structlog
import uvicorn

from kodeord.adapters.db import migrate
from kodeord.adapters.db.engine import Database
from kodeord.app.context import Context
from kodeord.config import Settings, SettingsError, local_admin_token
from kodeord.web.api import create_app

log = structlog.get_logger(__name__)


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
    server = uvicorn.Server(config)
    log.info("kodeord listening", http=str(settings.http), database=db.dialect)
    try:
        await server.serve()
    finally:
        await db.close()


def run(settings: Settings) -> None:
    prepare_schema(settings)
    asyncio.run(serve(settings))
