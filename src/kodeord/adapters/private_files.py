"""Owner-only files: the gateway's `var/` and an embedded SQLite database.

The database holds API key hashes, customers' messages and (sealed) secrets; `var/`
holds the admin token and the secret key. Rules, applied by `kodeord serve` and
`kodeord db upgrade` before anything opens the database:
- `var/` (made for an embedded database; on PostgreSQL only when a file goes there) and
  a database directory we create are 0700; `var/` is tightened if it exists.
  A database directory that existed already is left alone (it may be /tmp or shared).
- The database file is created 0600 before SQLite or Alembic opens it (SQLite gives its
  -wal, -shm and -journal files the database file's mode), and the database file, its
  companions and the files in `var/` are tightened to 0600 when they exist.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from kodeord.adapters.db.engine import database_urls
from kodeord.config import SettingsError

VAR_DIR = Path("var")
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def private_file(path: Path) -> None:
    """Create the file empty and 0600 when missing; tighten it to 0600 when it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    path.chmod(0o600)


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database).

    Raises DatabaseUrlError for a URL that names no database we support."""
    urls = database_urls(database_url)
    url = make_url(urls.migrations)
    if not urls.is_sqlite or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def protect_storage(database_url: str, var: Path = VAR_DIR) -> None:
    """Apply the rules above (see the module docstring); SettingsError when we cannot."""
    try:
        _protect(database_url, var)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise SettingsError(f"cannot make{where} owner-only: {exc.strerror or exc}") from None


def _protect(database_url: str, var: Path) -> None:
    database = sqlite_path(database_url)
    if database is not None or var.exists():
        private_dir(var)
        for found in var.iterdir():
            if found.is_file():
                found.chmod(0o600)
    if database is None:
        return
    if not database.parent.exists():
        private_dir(database.parent)
    private_file(database)
    for suffix in SQLITE_COMPANIONS:
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            companion.chmod(0o600)
