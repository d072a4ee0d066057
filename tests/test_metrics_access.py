"""/metrics behind a token: `Bearer <KODEORD_METRICS_TOKEN or the admin token>` by default,
open to all with KODEORD_METRICS_PUBLIC=1. Real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kodeord.config import Settings
from tests.conftest import ADMIN_TOKEN
from tests.support import ApiServer

METRICS_TOKEN = "scrape-me-please"


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ApiServer]]:
    """Three gateways: the default, one with a metrics token, one with public metrics."""
    from kodeord.adapters.db import migrate

    configs: dict[str, dict[str, Any]] = {
        "default": {},
        "token": {"metrics_token": METRICS_TOKEN},
        "public": {"metrics_public": True},
    }
    servers = {}
    for name, context in configs.items():
        url = f"sqlite:///{tmp_path_factory.mktemp(name)}/kodeord.db"
        migrate.upgrade(url)
        servers[name] = ApiServer(url, ADMIN_TOKEN, **context).__enter__()
    yield servers
    for server in servers.values():
        server.__exit__(None, None, None)


def _customer_key(api: ApiServer) -> str:
    customer = api.admin().post("/v1/customers", json={"name": "Pizza AS"}).json()
    key: str = api.admin().post(f"/v1/customers/{customer['id']}/api-keys").json()["key"]
    return key


CASES = [
    # (gateway, Authorization header, status, error code)
    ("default", None, 401, "missing_token"),
    ("default", "Bearer wrong", 401, "invalid_token"),
    ("default", f"Bearer {ADMIN_TOKEN}x", 401, "invalid_token"),
    ("default", f"Basic {ADMIN_TOKEN}", 401, "invalid_token"),
    ("default", f"Bearer {METRICS_TOKEN}", 401, "invalid_token"),  # no metrics token set
    ("default", "customer key", 401, "invalid_token"),  # customers do not read metrics
    ("default", f"Bearer {ADMIN_TOKEN}", 200, None),
    ("default", f"bearer  {ADMIN_TOKEN}", 200, None),
    ("token", f"Bearer {METRICS_TOKEN}", 200, None),
    ("token", f"Bearer {ADMIN_TOKEN}", 200, None),
    ("token", None, 401, "missing_token"),
    ("token", "Bearer scrape-me", 401, "invalid_token"),
    ("public", None, 200, None),
    ("public", "Bearer anything", 200, None),
]


@pytest.mark.parametrize(("gateway", "header", "status", "code"), CASES)
def test_who_reads_metrics(
    gateways: dict[str, ApiServer], gateway: str, header: str | None, status: int, code: str | None
) -> None:
    api = gateways[gateway]
    if header == "customer key":
        header = f"Bearer {_customer_key(api)}"
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{api.base_url}/metrics", headers=headers, timeout=10)
    assert response.status_code == status, response.text
    if code is None:
        assert "kodeord_mo_received_total" in response.text
    else:
        error = response.json()["error"]
        assert error["code"] == code and "KODEORD_METRICS_TOKEN" in error["message"]
        assert "kodeord_" not in response.text


@pytest.mark.parametrize(
    ("env", "token", "public"),
    [
        ({}, None, False),
        ({"KODEORD_METRICS_TOKEN": "t0k"}, "t0k", False),
        ({"KODEORD_METRICS_TOKEN": ""}, None, False),
        ({"KODEORD_METRICS_PUBLIC": "1"}, None, True),
        ({"KODEORD_METRICS_PUBLIC": "yes"}, None, False),  # only 1 opens it
        ({"KODEORD_METRICS_PUBLIC": "0"}, None, False),
    ],
)
def test_metrics_settings(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], token: str | None, public: bool
) -> None:
    for name in ("KODEORD_METRICS_TOKEN", "KODEORD_METRICS_PUBLIC"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.load(simulator=False)
    assert (settings.metrics_token, settings.metrics_public) == (token, public)
    assert "t0k" not in repr(settings)
