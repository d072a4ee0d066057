"""Alembic environment: runs our migrations on a synchronous connection.

`kodeord.adapters.db.migrate` passes either a URL or an open connection in the
config's attributes; batch mode is on so ALTERs work on SQLite.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from kodeord.adapters.db.schema import metadata


def run_with(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        run_with(conn)
    engine.dispose()
