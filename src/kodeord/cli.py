"""Command line: `kodeord serve`, `kodeord db upgrade`.

Bad settings end with a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer

from kodeord.config import Settings, SettingsError

app = typer.Typer(no_args_is_help=True, help="Kodeord SMS short-number gateway.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")

HttpOption = Annotated[
    str | None, typer.Option("--http", help="HOST:PORT for the HTTP API [env KODEORD_HTTP]")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="sqlite:///… or postgresql://… [env KODEORD_DATABASE_URL]"),
]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(2)


def _settings(http: str | None = None, database_url: str | None = None) -> Settings:
    try:
        return Settings.load(http=http, database_url=database_url)
    except SettingsError as exc:
        raise _fail(str(exc)) from None


@app.command()
def serve(http: HttpOption = None, database_url: DatabaseOption = None) -> None:
    """Run the gateway (HTTP API; embedded SQLite by default)."""
    from kodeord import server
    from kodeord.adapters.db.engine import DatabaseUrlError

    settings = _settings(http, database_url)
    try:
        server.run(settings)
    except (SettingsError, DatabaseUrlError) as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        pass


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """Apply the schema migrations the database lacks."""
    from kodeord.adapters.db import migrate
    from kodeord.adapters.db.engine import DatabaseUrlError

    settings = _settings(database_url=database_url)
    try:
        migrate.upgrade(settings.database_url)
    except DatabaseUrlError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"database at revision {migrate.head_revision()}")


@app.command()
def version() -> None:
    """Print the version."""
    from kodeord import __version__

    typer.echo(__version__)
