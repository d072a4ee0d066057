"""Fixtures of the console tests: the gateway on a real socket (SQLite, and PostgreSQL
when its URL is set) and browser-like clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.console.browser import chromium, page
from tests.console.support import ADMIN_TOKEN, Browser, console_options
from tests.conversations.support import wait_bound
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


__all__ = ["browser", "chromium", "console", "console_with_phone", "page"]


@pytest.fixture
def console_with_phone(database_url: str) -> Iterator[ApiServer]:
    """The gateway with the built-in operator simulator linked (as `kodeord serve` runs it)
    and the shared number 2077."""
    options = console_options(webhook_allow_private=True)
    with ApiServer(database_url, ADMIN_TOKEN, options, simulator=True) as server:
        number = {"number": "2077", "mode": "shared", "keyword_fee_ore": 1000}
        assert server.admin().post("/v1/numbers", json=number).status_code == 201
        wait_bound(server)
        yield server
