"""Command line: `kodeord serve`, `kodeord db upgrade` and friends."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command()
def version() -> None:
    """Print the version."""
    from kodeord import __version__

    typer.echo(__version__)
