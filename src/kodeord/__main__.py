"""`python -m kodeord` is the `kodeord` command."""

from kodeord.cli import app

app(prog_name="kodeord")
