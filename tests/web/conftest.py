"""One gateway with a world of two tenants per test module (building it takes seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kodeord.adapters.db import migrate
from tests.conftest import ADMIN_TOKEN
from tests.support import ApiServer
from tests.web import world as world_module


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[world_module.World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('world')}/kodeord.db"
    migrate.upgrade(url)
    with ApiServer(url, ADMIN_TOKEN) as api:
        yield world_module.build(api)
