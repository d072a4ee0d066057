"""`kodeord keywords check WORD --number N` and `kodeord keywords import FILE.csv`.

Both work on the gateway's database directly (`--database-url`, else the same default
as `kodeord serve`). `check` answers with the same function as the HTTP API and exits 0
when the word is available, 1 when not. `import` checks every row first and imports all
or nothing (app/importing.py); bad rows are listed with their line numbers, exit 1.
Bad settings or an unreadable file: a one-line message, exit 2.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kodeord.config import DEFAULT_DATABASE_URL, Settings, SettingsError

keywords_app = typer.Typer(no_args_is_help=True, help="Keywords: availability and bulk import.")
# Shared with cli.py: the env variable and the default show in --help (Typer reads both).
DatabaseOption = Annotated[
    str,
    typer.Option(
        "--database-url",
        envvar="KODEORD_DATABASE_URL",
        show_envvar=True,
        show_default=True,
        metavar="URL",
        help="sqlite:///… or postgresql://…",
    ),
]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _database_url(database_url: str | None) -> Settings:
    from kodeord.adapters.db import migrate
    from kodeord.adapters.db.engine import DatabaseUrlError

    try:
        settings = Settings.load(database_url=database_url, simulator=False)
        if settings.embedded:
            migrate.upgrade(settings.database_url)
        elif migrate.pending(settings.database_url):
            raise SettingsError("the database schema is not up to date: run `kodeord db upgrade`")
    except (SettingsError, DatabaseUrlError) as exc:
        raise _fail(str(exc)) from None
    return settings


async def _with_context(settings: Settings, work: Any) -> Any:
    from datetime import timedelta

    from kodeord.adapters.db.engine import Database
    from kodeord.wiring import make_context

    db = Database(settings.database_url)
    try:
        quarantine = timedelta(days=settings.quarantine_days)
        return await work(make_context(db, quarantine=quarantine))
    finally:
        await db.close()


@keywords_app.command("check")
def check(
    word: str,
    number: Annotated[str, typer.Option("--number", metavar="NUMBER", help="the short number")],
    customer: Annotated[
        int | None,
        typer.Option(metavar="ID", help="check for this customer id (default: a new customer)"),
    ] = None,
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Is WORD available on the number? Reasons when not (exit 1)."""
    from kodeord.app.accounts.customers import Principal
    from kodeord.app.errors import AppError
    from kodeord.app.keywords import leasing as keywords

    url = _database_url(database_url)
    try:
        result = asyncio.run(
            _with_context(
                url,
                lambda ctx: keywords.availability(
                    ctx, Principal(None), number, word, customer if customer is not None else 0
                ),
            )
        )
    except AppError as exc:
        raise _fail(f"{exc.code}: {exc.message}") from None
    console = Console()
    verdict = "[green]available[/]" if result["available"] else "[red]not available[/]"
    console.print(f"{result['keyword'] or word} on {number}: {verdict}")
    for reason in result["reasons"]:
        console.print(f"  {reason['code']}: {reason['message']}")
    for warning in result.get("warnings", []):
        console.print(f"  [yellow]{warning['code']}[/]: {warning['message']}")
    if result.get("suggestions"):
        console.print("  try: " + ", ".join(result["suggestions"]))
    raise typer.Exit(0 if result["available"] else 1)


@keywords_app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV: number, keyword, customer, aliases")],
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Import keyword leases from a CSV file: all rows, or none."""
    from kodeord.app.keywords.importing import ImportFileError, import_leases, read_rows

    url = _database_url(database_url)
    try:
        rows = read_rows(str(file))
    except ImportFileError as exc:
        raise _fail(str(exc)) from None
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("import", total=len(rows))
        report = asyncio.run(
            _with_context(
                url, lambda ctx: import_leases(ctx, rows, lambda n: progress.advance(task, n))
            )
        )
    if not report.ok:
        table = Table(title=f"{len(report.bad)} of {report.rows} rows refused; nothing imported")
        table.add_column("line", justify="right")
        table.add_column("why")
        for bad in report.bad:
            table.add_row(str(bad.line), "; ".join(bad.reasons))
        console.print(table)
        raise typer.Exit(1)
    typer.echo(
        f"imported {report.imported} keyword leases ({report.customers_created} new customers)"
    )
