"""Console test helpers: a gateway served on a real socket with fast password hashing,
users made through the app, and a browser-like HTTP client that keeps cookies and sends
each form's CSRF token."""

from __future__ import annotations

import re
from typing import Any

import httpx

from kodeord.adapters.passwords import Argon2Passwords
from kodeord.domain.users import Role
from kodeord.wiring import GatewayOptions
from tests.support import ApiServer

PASSWORD = "riktig-passord-2077"
ADMIN_TOKEN = "console-test-admin-token"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def console_options(**changes: Any) -> GatewayOptions:
    return GatewayOptions(passwords=Argon2Passwords.fast(), **changes)


def make_user(
    server: ApiServer,
    email: str,
    role: Role,
    customer_id: int | None = None,
    language: str = "nb",
) -> None:
    users = server.gateway.users
    server.call(users.create(email, role, PASSWORD, customer_id, language))


def make_customer(server: ApiServer, name: str) -> int:
    created = server.admin().post("/v1/customers", json={"name": name})
    assert created.status_code == 201, created.text
    customer_id: int = created.json()["id"]
    return customer_id


class Browser:
    """An httpx client with a cookie jar that posts forms the way a browser does."""

    def __init__(self, server: ApiServer) -> None:
        self.http = httpx.Client(base_url=server.base_url, timeout=30)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def csrf(self, path: str) -> str:
        found = _CSRF.search(self.get(path).text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], form_page: str | None = None) -> httpx.Response:
        token = self.csrf(form_page or path)
        return self.http.post(path, data={"csrf": token, **data})

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.post("/console/sign-in", {"email": email, "password": password})

    def close(self) -> None:
        self.http.close()
