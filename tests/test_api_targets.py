"""Webhook and callback URLs are refused when they are configured (not at the first
delivery): a keyword's route, the default route in /v1/settings, `callback_url` on
/v1/messages and /batch. Over real HTTP, on SQLite and PostgreSQL; names resolve
through a table (tests/delivery/test_webhook_targets.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.delivery.test_webhook_targets import CountingResolver
from tests.support import ApiServer


class Setup:
    def __init__(self, api: ApiServer, resolver: CountingResolver) -> None:
        self.api = api
        self.resolver = resolver
        admin = api.admin()
        assert admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"}).is_success
        self.first, self.second = (self._customer(admin, name) for name in ("Pizza", "Taxi"))
        lease = self.first.post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"})
        assert lease.status_code == 201, lease.text
        self.lease_id = lease.json()["id"]

    def _customer(self, admin: httpx.Client, name: str) -> httpx.Client:
        made = admin.post("/v1/customers", json={"name": name}).json()
        key = admin.post(f"/v1/customers/{made['id']}/api-keys").json()["key"]
        return self.api.client(key)


def _server(database_url: str, allow_private: bool) -> Iterator[Setup]:
    resolver = CountingResolver()
    options = GatewayOptions(webhook_allow_private=allow_private, webhook_resolver=resolver)
    with ApiServer(database_url, ADMIN_TOKEN, options) as api:
        yield Setup(api, resolver)


@pytest.fixture
def strict(database_url: str) -> Iterator[Setup]:
    yield from _server(database_url, allow_private=False)


@pytest.fixture
def lenient(database_url: str) -> Iterator[Setup]:
    """KODEORD_WEBHOOK_ALLOW_PRIVATE=1: private targets allowed (tests, closed networks)."""
    yield from _server(database_url, allow_private=True)


# (url, code without the setting, code with it); None: accepted
URLS = [
    ("https://93.184.215.14/hook", None, None),
    ("https://hooks.test/hook", None, None),
    ("http://127.0.0.1:9000/hook", "refused_target", None),
    ("http://localhost/hook", "refused_target", None),
    ("http://[::1]/hook", "refused_target", None),
    ("http://10.0.0.1/hook", "refused_target", None),
    ("http://internal.test/hook", "refused_target", None),
    ("http://169.254.169.254/latest/meta-data/", "refused_target", None),
    ("http://[fd00:ec2::254]/latest/meta-data/", "refused_target", None),
    ("http://metadata.test/", "refused_target", None),
    ("http://100.64.0.1/hook", "refused_target", None),
    ("http://0.0.0.0/hook", "refused_target", None),
    ("http://224.0.0.1/hook", "refused_target", None),
    ("http://nowhere.test/hook", "unresolvable_target", None),
    ("http://hooks.test/a\x00b", "shape", "shape"),
    ("http://hooks.test/a\r\nX-Injected: 1", "shape", "shape"),
    ("ftp://hooks.test/", "shape", "shape"),
]


def _expect(answer: httpx.Response, code: str | None, shape: str, field: str) -> None:
    if code is None:
        assert answer.is_success, answer.text
        return
    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (422, shape if code == "shape" else code)
    assert error["field"] == field and error["message"].startswith(f"{field}: ")


def _cases(column: int) -> list[tuple[str, str | None]]:
    return [(row[0], row[column]) for row in URLS]


def _routes(setup: Setup, column: int) -> None:
    first, lease = setup.first, f"/v1/keywords/{setup.lease_id}/route"
    for url, code in _cases(column):
        answer = first.put(lease, json={"type": "webhook", "url": url})
        _expect(answer, code, "invalid_route", "url")
        stored = first.get(f"/v1/keywords/{setup.lease_id}").json()["route"]
        assert (stored.get("url") == url) == (code is None), url
        settings = {"default_route": {"type": "webhook", "url": url}}
        _expect(
            first.put("/v1/settings", json=settings), code, "invalid_route", "default_route.url"
        )
        first.put(lease, json={"type": "inbox"})


def test_routes_refuse_targets_when_configured(strict: Setup) -> None:
    _routes(strict, 1)


def test_routes_take_private_targets_when_the_provider_allows_them(lenient: Setup) -> None:
    _routes(lenient, 2)


def test_another_customers_lease_is_not_found_before_its_url_is_looked_at(
    strict: Setup,
) -> None:
    route = {"type": "webhook", "url": "http://127.0.0.1/hook"}
    answer = strict.second.put(f"/v1/keywords/{strict.lease_id}/route", json=route)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "keyword_not_found")


def _send(client: httpx.Client, path: str, url: str, **extra: Any) -> httpx.Response:
    body = {"from": "2077", "text": "Hei", "callback_url": url, **extra}
    return client.post(path, json=body)


def _callbacks(setup: Setup, column: int) -> None:
    for url, code in _cases(column):
        one = _send(setup.first, "/v1/messages", url, to="+4791234567")
        _expect(one, code, "invalid_callback_url", "callback_url")
        batch = _send(setup.first, "/v1/messages/batch", url, to=["+4791234567", "+4791234568"])
        _expect(batch, code, "invalid_callback_url", "callback_url")
        if code is not None:
            assert batch.json()["error"]["index"] == 0
    stored = setup.first.get("/v1/messages", params={"direction": "outbound"}).json()
    accepted = [url for url, code in _cases(column) if code is None]
    assert len(stored) == 3 * len(accepted)  # nothing refused was stored


def test_callback_urls_refused_when_a_message_is_sent(strict: Setup) -> None:
    _callbacks(strict, 1)


def test_callback_urls_to_private_targets_when_allowed(lenient: Setup) -> None:
    _callbacks(lenient, 2)


def test_a_batchs_callback_url_is_looked_up_once(strict: Setup) -> None:
    phones = [f"+479{n:07d}" for n in range(200)]
    answer = _send(strict.first, "/v1/messages/batch", "https://hooks.test/st", to=phones)
    assert answer.status_code == 202, answer.text
    for _ in range(5):  # and the next sends within the cache's time ask again no one
        assert _send(strict.first, "/v1/messages", "https://hooks.test/st", to=phones[0]).is_success
    assert strict.resolver.calls == ["hooks.test"]
