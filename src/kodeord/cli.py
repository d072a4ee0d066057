"""Command line: `kodeord serve`, `kodeord db upgrade`, `kodeord secrets rotate`,
`kodeord keywords …` (cli_keywords.py) and `kodeord users …` (cli_users.py).

Bad settings end with a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kodeord.cli_keywords import DatabaseOption, keywords_app
from kodeord.cli_users import users_app
from kodeord.config import (
    DEFAULT_DATABASE_URL,
    DEFAULT_HTTP,
    DEFAULT_SIMULATOR_HTTP,
    DEFAULT_SIMULATOR_SMPP,
    DEFAULT_SMPP,
    Settings,
    SettingsError,
)

# pretty_exceptions_show_locals=False: a crash must not print variables (tokens, keys)
app = typer.Typer(
    no_args_is_help=True,
    help="Kodeord SMS short-number gateway.",
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(keywords_app, name="keywords")
app.add_typer(users_app, name="users")
secrets_app = typer.Typer(no_args_is_help=True, help="Stored secrets' key (docs/secrets.md).")
app.add_typer(secrets_app, name="secrets")


def _setting(flag: str, env: str, help: str) -> Any:
    """A HOST:PORT option that falls back to an environment variable; help shows the
    variable and the default.

    Typer reads the variable (flag > env > default); Settings.load reads the same ones for
    callers that do not come through here.
    """
    return typer.Option(
        flag, envvar=env, show_envvar=True, show_default=True, metavar="HOST:PORT", help=help
    )


HttpOption = Annotated[str, _setting("--http", "KODEORD_HTTP", "address of the HTTP API")]


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(2)


@app.callback()
def _configure_logging() -> None:
    from kodeord import logs

    try:
        logs.configure()  # KODEORD_LOG_FORMAT, KODEORD_LOG_LEVEL
    except SettingsError as exc:
        raise _fail(str(exc)) from None


def _settings(**options: Any) -> Settings:
    try:
        return Settings.load(**options)
    except SettingsError as exc:
        raise _fail(str(exc)) from None


@app.command()
def serve(
    http: HttpOption = DEFAULT_HTTP,
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
    simulator: Annotated[
        bool,
        typer.Option(
            "--simulator/--no-simulator",
            envvar="KODEORD_SIMULATOR",
            show_envvar=True,
            metavar="",
            help="run the built-in operator simulator (env: 0 or 1)",
        ),
    ] = True,
    simulator_smpp: Annotated[
        str,
        _setting(
            "--simulator-smpp", "KODEORD_SIMULATOR_SMPP", "address of the simulator's SMPP server"
        ),
    ] = DEFAULT_SIMULATOR_SMPP,
    simulator_http: Annotated[
        str,
        _setting(
            "--simulator-http", "KODEORD_SIMULATOR_HTTP", "address of the simulator's control API"
        ),
    ] = DEFAULT_SIMULATOR_HTTP,
    smpp: Annotated[
        str,
        _setting("--smpp", "KODEORD_SMPP", "address for customers' SMPP binds, or off"),
    ] = DEFAULT_SMPP,
    no_smpp: Annotated[
        bool,
        typer.Option("--no-smpp", metavar="", help="do not run the SMPP server for customers"),
    ] = False,
) -> None:
    """Run the gateway (HTTP API; embedded SQLite and the operator simulator by default)."""
    from kodeord import server
    from kodeord.adapters.db.engine import DatabaseUrlError

    settings = _settings(
        http=http,
        database_url=database_url,
        simulator=simulator,
        simulator_smpp=simulator_smpp,
        simulator_http=simulator_http,
        smpp=smpp,
        no_smpp=no_smpp,
    )
    try:
        server.run(settings)
    except (SettingsError, DatabaseUrlError) as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        pass


@app.command()
def simulator(
    smpp: Annotated[
        str, typer.Option(metavar="HOST:PORT", help="address of its SMPP server")
    ] = DEFAULT_SIMULATOR_SMPP,
    http: Annotated[
        str, typer.Option(metavar="HOST:PORT", help="address of its control API")
    ] = DEFAULT_SIMULATOR_HTTP,
    system_id: Annotated[
        str, typer.Option(metavar="NAME", help="the account ESMEs bind with")
    ] = "kodeord",
    password: Annotated[str, typer.Option(metavar="TEXT", help="its password")] = "kodeord",
    submit_delay_ms: Annotated[
        float, typer.Option(min=0, metavar="MS", help="delay before submit_sm_resp")
    ] = 0,
    receipt_delay_ms: Annotated[
        float, typer.Option(min=0, metavar="MS", help="delay before a receipt")
    ] = 50,
    delivered_share: Annotated[
        float,
        typer.Option(min=0, max=1, metavar="SHARE", help="share of receipts that say DELIVRD"),
    ] = 1.0,
    throttle_rate: Annotated[
        float | None,
        typer.Option(
            min=0.1, metavar="PER_S", help="submits/s above which to answer ESME_RTHROTTLED"
        ),
    ] = None,
    hex_ids: Annotated[bool, typer.Option(metavar="", help="hexadecimal message ids")] = False,
    seed: Annotated[
        int | None, typer.Option(metavar="N", help="seed for the receipt outcomes")
    ] = None,
    mo_window: Annotated[
        int,
        typer.Option(
            min=1, max=10_000, metavar="N", help="deliver_sm (MO, receipts) outstanding at once"
        ),
    ] = 64,
) -> None:
    """Run the operator simulator alone: an SMPP SMSC with virtual phones."""
    from kodeord import server
    from kodeord.adapters.simulator.operator import SimulatorSettings
    from kodeord.config import parse_host_port

    try:
        smpp_address = parse_host_port(smpp, "--smpp")
        http_address = parse_host_port(http, "--http")
    except SettingsError as exc:
        raise _fail(str(exc)) from None
    settings = SimulatorSettings(
        system_id=system_id,
        password=password,
        submit_delay=submit_delay_ms / 1000,
        receipt_delay=receipt_delay_ms / 1000,
        delivered_share=delivered_share,
        throttle_rate=throttle_rate,
        hex_message_ids=hex_ids,
        seed=seed,
        delivery_workers=mo_window,
    )
    try:
        server.run_simulator(settings, smpp_address, http_address)
    except SettingsError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        raise _fail(f"cannot listen: {exc}") from None


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Apply the schema migrations the database lacks."""
    from kodeord.adapters.db import migrate
    from kodeord.adapters.db.engine import DatabaseUrlError
    from kodeord.adapters.private_files import protect_storage

    settings = _settings(database_url=database_url)
    try:
        protect_storage(settings.database_url)
        migrate.upgrade(settings.database_url)
    except (SettingsError, DatabaseUrlError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"database at revision {migrate.head_revision()}")


@secrets_app.command("rotate")
def secrets_rotate(database_url: DatabaseOption = DEFAULT_DATABASE_URL) -> None:
    """Re-seal every stored secret with the first key of KODEORD_SECRET_KEY (or the key
    file); every key listed still opens."""
    import asyncio

    from kodeord import server
    from kodeord.adapters.db.engine import Database, DatabaseUrlError
    from kodeord.adapters.secretbox import load_box
    from kodeord.app import stored_secrets
    from kodeord.wiring import make_context

    async def rotate(box: Any) -> stored_secrets.Resealed:
        db = Database(settings.database_url)
        try:
            return await stored_secrets.rotate(make_context(db, secret_box=box).storage, box)
        finally:
            await db.close()

    settings = _settings(database_url=database_url, simulator=False)
    try:
        server.protect_and_prepare(settings)
        box, _ = load_box(settings.secret_key, create=False)
        done = asyncio.run(rotate(box))
    except (SettingsError, DatabaseUrlError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"{done.rewritten} of {done.checked} stored secrets sealed with the first key")


@secrets_app.command("new-key")
def secrets_new_key() -> None:
    """Print a new key for KODEORD_SECRET_KEY (it is not stored anywhere)."""
    from kodeord.adapters.secretbox import new_key

    typer.echo(new_key())


@app.command()
def version() -> None:
    """Print the version."""
    from kodeord import __version__

    typer.echo(__version__)
