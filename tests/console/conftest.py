"""Fixtures of the console tests: the gateway on a real socket (SQLite, and PostgreSQL
when its URL is set) and browser-like clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.browser import chromium, page
from tests.console.support import ADMIN_TOKEN, Browser, console_options
from tests.support import ApiServer


@pytest.fixture
def console(database_url: str) -> Iterator[ApiServer]:
    with ApiServer(database_url, ADMIN_TOKEN, console_options()) as server:
        yield server


@pytest.fixture
def browser(console: ApiServer) -> Iterator[Browser]:
    client = Browser(console)
    yield client
    client.close()


__all__ = ["browser", "chromium", "console", "page"]
