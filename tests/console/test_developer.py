"""The developer page: an owner makes an API key (shown once, then working on /v1),
sees it listed with its use, and revokes it; members and other customers cannot; bad
names are explained next to the field with what was typed kept; changes are audited
without their secrets."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from kodeord.domain.users import Role
from tests.console.browser import shot
from tests.console.support import ADMIN_TOKEN, Browser, make_customer, make_user
from tests.console.test_browser_signin import sign_in
from tests.support import ApiServer

PAGE = "/console/developer"
_KEY = re.compile(r"<code class=\"link-out secret\">(ko_[\w-]+)</code>")


def owner_of(console: ApiServer, browser: Browser, name: str = "Napoli") -> int:
    customer = make_customer(console, name)
    make_user(console, f"eier@{name.lower()}.no", Role.OWNER, customer)
    browser.sign_in(f"eier@{name.lower()}.no")
    return customer


def made_key(browser: Browser, name: str) -> str:
    made = browser.post(f"{PAGE}/keys", {"key_name": name}, PAGE)
    assert made.status_code == 201, made.text
    found = _KEY.search(made.text)
    assert found, made.text
    return found.group(1)


def v1(console: ApiServer, key: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    return httpx.get(f"{console.base_url}/v1/api-keys", headers=headers, timeout=10)


def test_an_owner_makes_a_key_that_works_once_shown_and_revokes_it(
    console: ApiServer, browser: Browser
) -> None:
    customer = owner_of(console, browser)
    key = made_key(browser, "nettbutikk produksjon")
    assert v1(console, key).status_code == 200
    listed = browser.get(PAGE).text
    assert key not in listed  # shown once
    assert "nettbutikk produksjon" in listed and "aldri" not in listed  # last used now
    key_id = v1(console, key).json()[0]["id"]
    revoked = browser.post(f"{PAGE}/keys/{key_id}/revoke", {}, PAGE)
    assert revoked.status_code == 303 and revoked.headers["location"] == f"{PAGE}#keys"
    assert v1(console, key).status_code == 401
    assert "tilbakekalt" in browser.get(PAGE).text
    entries = console.admin().get("/v1/admin/audit-log", params={"customer_id": customer}).json()
    assert [(e["action"], e["target"]) for e in entries[:2]] == [
        ("api_key.revoke", f"api_key:{key_id}"),
        ("api_key.create", f"api_key:{key_id}"),
    ]
    assert entries[0]["actor"].startswith(f"customer:{customer}/user:")
    assert key.split("_", 2)[2] not in str(entries)  # the secret part


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "Gi nøkkelen et navn, f.eks. nettbutikk produksjon."),
        ("   ", "Gi nøkkelen et navn, f.eks. nettbutikk produksjon."),
        ("x" * 101, "Et navn kan ha høyst 100 tegn."),
    ],
)
def test_bad_key_names_are_explained_next_to_the_field(
    console: ApiServer, browser: Browser, name: str, says: str
) -> None:
    owner_of(console, browser)
    page = browser.post(f"{PAGE}/keys", {"key_name": name}, PAGE)
    assert page.status_code == 422
    assert f'<p class="error" id="f-key_name-error">{says}</p>' in page.text
    assert f'value="{name.strip()}"' in page.text
    assert "Ingen API-nøkler ennå." in page.text


def test_another_customers_key_is_not_found(console: ApiServer, browser: Browser) -> None:
    owner_of(console, browser)
    roma = Browser(console)
    owner_of(console, roma, "Roma")
    key = made_key(roma, "roma")
    key_id = v1(console, key).json()[0]["id"]
    assert browser.post(f"{PAGE}/keys/{key_id}/revoke", {}, PAGE).status_code == 404
    assert browser.post(f"{PAGE}/keys/999999/revoke", {}, PAGE).status_code == 404
    assert v1(console, key).status_code == 200
    assert "roma" not in browser.get(PAGE).text
    roma.close()


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/keys", {"key_name": "x"}),
        ("/keys/1/revoke", {}),
    ],
)
def test_members_get_403_and_no_menu_entry(
    console: ApiServer, browser: Browser, path: str, data: dict[str, str]
) -> None:
    napoli = make_customer(console, "Napoli")
    make_user(console, "ola@napoli.no", Role.MEMBER, napoli)
    browser.sign_in("ola@napoli.no")
    assert 'href="/console/developer"' not in browser.get("/console/").text
    assert browser.get(PAGE).status_code == 403
    assert browser.post(PAGE + path, data, "/console/").status_code == 403
    assert console.admin().get(f"/v1/customers/{napoli}/api-keys").json() == []


def test_an_owner_sees_the_menu_entry_and_a_provider_does_not(
    console: ApiServer, browser: Browser
) -> None:
    owner_of(console, browser)
    assert 'href="/console/developer"' in browser.get("/console/").text
    provider = Browser(console)
    make_user(console, "kari@drift.no", Role.PROVIDER)
    provider.sign_in("kari@drift.no")
    assert 'href="/console/developer"' not in provider.get("/console/").text
    assert provider.get(PAGE).status_code == 404
    provider.close()


def test_a_post_without_its_csrf_token_is_refused(console: ApiServer, browser: Browser) -> None:
    customer = owner_of(console, browser)
    refused = browser.http.post(f"{PAGE}/keys", data={"key_name": "x"})
    assert refused.status_code == 403
    assert console.admin().get(f"/v1/customers/{customer}/api-keys").json() == []


def test_the_developer_page_in_a_browser(console: ApiServer, page: Any) -> None:
    base = console.base_url
    napoli = make_customer(console, "Pizzeria Napoli")
    make_user(console, "eier@napoli.no", Role.OWNER, napoli)
    sign_in(page, base, "eier@napoli.no")
    page.get_by_role("link", name="Utvikler").click()
    page.get_by_role("button", name="Lag nøkkel").click()
    assert page.get_by_text("Gi nøkkelen et navn").is_visible()
    page.get_by_label("Navn").fill("nettbutikk produksjon")
    page.get_by_role("button", name="Lag nøkkel").click()
    assert page.get_by_role("status").is_visible()
    shot(page, "developer-new-key", "nb")
    shot(page, "developer-new-key", "nb", phone=True)
    page.goto(f"{base}{PAGE}?lang=en")
    assert page.get_by_role("heading", name="API keys").is_visible()
    shot(page, "developer", "en")
    page.get_by_role("button", name="Revoke the key nettbutikk produksjon").click()
    assert page.get_by_text("revoked").first.is_visible()
    page.goto(f"{base}{PAGE}?lang=nb")
    shot(page, "developer", "nb")


__all__ = ["ADMIN_TOKEN"]
