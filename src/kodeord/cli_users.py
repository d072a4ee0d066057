"""`kodeord users`: console users from the command line (the first provider user, and a
password-reset link a provider hands over when the gateway has no SMTP relay).

The password is read from standard input only (`--password-stdin`), never from an
argument: arguments show in `ps` and in shell history. Bad input ends with the rule it
broke and exit code 2.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated, Any

import typer

from kodeord.cli_keywords import DatabaseOption, _database_url, _fail
from kodeord.config import DEFAULT_DATABASE_URL, DEFAULT_HTTP
from kodeord.domain.users import Role

users_app = typer.Typer(no_args_is_help=True, help="Console users (docs/console.md).")

EmailOption = Annotated[str, typer.Option("--email", metavar="EMAIL", help="the user's address")]


def _gateway_users(settings: Any, work: Any) -> Any:
    from kodeord.adapters.db.engine import Database
    from kodeord.server import gateway_options
    from kodeord.wiring import console_users, make_context

    async def run() -> Any:
        db = Database(settings.database_url)
        try:
            users, _ = console_users(make_context(db), gateway_options())
            return await work(users)
        finally:
            await db.close()

    return asyncio.run(run())


def _run(database_url: str, work: Any) -> Any:
    from kodeord.app.errors import AppError

    settings = _database_url(database_url)
    try:
        return _gateway_users(settings, work)
    except AppError as exc:
        raise _fail(f"{exc.code}: {exc.message}") from None


@users_app.command("create")
def create(
    email: EmailOption,
    role: Annotated[Role, typer.Option("--role", help="provider, owner or member")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
    customer: Annotated[
        int | None, typer.Option("--customer", metavar="ID", help="the customer (owner, member)")
    ] = None,
    language: Annotated[str, typer.Option("--language", help="nb or en")] = "nb",
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Create a console user who can sign in at once."""
    if not password_stdin:
        raise _fail("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    user = _run(database_url, lambda users: users.create(email, role, password, customer, language))
    where = f" of customer {user.customer_id}" if user.customer_id is not None else ""
    typer.echo(f"user {user.id} created: {user.email} ({user.role.value}{where})")


@users_app.command("reset-link")
def reset_link(
    email: EmailOption,
    base_url: Annotated[
        str, typer.Option("--base-url", help="the console's address as users reach it")
    ] = f"http://{DEFAULT_HTTP}",
    database_url: DatabaseOption = DEFAULT_DATABASE_URL,
) -> None:
    """Print a one-time link (valid one hour) with which the user chooses a new password."""
    typer.echo(_run(database_url, lambda users: users.reset_link(email, base_url)))
