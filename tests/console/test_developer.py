"""The developer page: an owner makes an API key (shown once, then working on /v1),
sees it listed with its use, and revokes it; members and other customers cannot; bad
names are explained next to the field with what was typed kept; changes are audited
without their secrets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import smpplib.client
import smpplib.exceptions

from kodeord.domain.users import Role
from tests.console.browser import shot
from tests.console.support import ADMIN_TOKEN, Browser, console_options, make_customer, make_user
from tests.console.test_browser_signin import sign_in
from tests.support import ApiServer

PAGE = "/console/developer"
_KEY = re.compile(r"<code class=\"link-out secret\">(ko_[\w-]+)</code>")
_SECRET = re.compile(r"<code class=\"link-out secret\">([^<]+)</code>")
_MADE = re.compile(r"Kontoen (\S+) er laget")


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
        ("/smpp", {"system_id": "x"}),
        ("/smpp/x/remove", {}),
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
    assert console.admin().get(f"/v1/customers/{napoli}/smpp-accounts").json() == []


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
    page.get_by_text("Gi nøkkelen et navn").wait_for()
    page.get_by_label("Navn").fill("nettbutikk produksjon")
    page.get_by_role("button", name="Lag nøkkel").click()
    page.get_by_role("status").wait_for()
    shot(page, "developer-new-key", "nb")
    shot(page, "developer-new-key", "nb", phone=True)
    page.get_by_label("Passord").fill("kort")
    page.get_by_role("button", name="Lag konto").click()
    page.get_by_text("Bruk 6 til 8 bokstaver").wait_for()
    shot(page, "developer-smpp-bad-password", "nb")
    page.get_by_label("system_id").fill("napoli")
    page.get_by_role("button", name="Lag konto").click()
    page.get_by_text("Kopier passordet nå").wait_for()
    shot(page, "developer-new-smpp-account", "nb")
    page.goto(f"{base}{PAGE}?lang=en")
    page.get_by_role("heading", name="API keys").wait_for()
    page.get_by_role("button", name="Revoke the key nettbutikk produksjon").click()
    page.get_by_text("revoked").first.wait_for()
    shot(page, "developer", "en")
    shot(page, "developer", "en", phone=True)
    page.get_by_role("button", name="Remove the account napoli").click()
    page.get_by_text("removed").first.wait_for()
    page.goto(f"{base}{PAGE}?lang=nb")
    shot(page, "developer", "nb")


# --- SMPP accounts ----------------------------------------------------------------------


@pytest.fixture
def with_smpp(database_url: str) -> Iterator[ApiServer]:
    with ApiServer(database_url, ADMIN_TOKEN, console_options(), smpp=True) as server:
        yield server


def bind_status(server: ApiServer, system_id: str, password: str) -> int:
    client = smpplib.client.Client(
        "127.0.0.1", server.smpp_port, timeout=5, allow_unknown_opt_params=True
    )
    client.connect()
    try:
        client.bind_transceiver(system_id=system_id, password=password)
        client.unbind()
    except smpplib.exceptions.PDUError as refused:
        status: int = refused.args[1]
        return status
    finally:
        client.disconnect()
    return 0


def test_an_owner_makes_smpp_accounts_that_bind_and_removes_one(with_smpp: ApiServer) -> None:
    browser = Browser(with_smpp)
    customer = owner_of(with_smpp, browser)
    typed = browser.post(f"{PAGE}/smpp", {"system_id": "napoli", "password": "pw-2077!"}, PAGE)
    assert typed.status_code == 201 and "med passordet du skrev" in typed.text
    assert "pw-2077!" not in typed.text  # a typed password is not echoed
    drawn = browser.post(f"{PAGE}/smpp", {"system_id": "", "password": ""}, PAGE)
    assert drawn.status_code == 201
    made, secret = _MADE.search(drawn.text), _SECRET.search(drawn.text)
    assert made and secret and len(secret.group(1)) == 8
    assert bind_status(with_smpp, "napoli", "pw-2077!") == 0
    assert bind_status(with_smpp, made.group(1), secret.group(1)) == 0
    listed = browser.get(PAGE).text
    assert "napoli" in listed and made.group(1) in listed and secret.group(1) not in listed
    removed = browser.post(f"{PAGE}/smpp/napoli/remove", {}, PAGE)
    assert removed.status_code == 303 and removed.headers["location"] == f"{PAGE}#smpp"
    assert bind_status(with_smpp, "napoli", "pw-2077!") != 0
    assert "fjernet" in browser.get(PAGE).text
    entries = with_smpp.admin().get("/v1/admin/audit-log", params={"customer_id": customer})
    actions = [(e["action"], e["target"]) for e in entries.json()[:3]]
    assert actions == [
        ("revoke_smpp_account", "smpp_account:napoli"),
        ("create_smpp_account", f"smpp_account:{made.group(1)}"),
        ("create_smpp_account", "smpp_account:napoli"),
    ]
    assert "pw-2077!" not in entries.text and secret.group(1) not in entries.text
    browser.close()


@pytest.mark.parametrize(
    ("system_id", "password", "field", "says"),
    [
        ("a b", "", "system_id", "Bruk høyst 15 bokstaver, sifre, punktum, bindestreker"),
        ("x" * 16, "", "system_id", "Bruk høyst 15 bokstaver"),
        ("taken", "", "system_id", "Den system_id-en er tatt."),
        ("napoli", "kort", "password", "Bruk 6 til 8 bokstaver, sifre eller tegn"),
        ("napoli", "niletters", "password", "Bruk 6 til 8 bokstaver"),
        ("napoli", "med rom", "password", "Bruk 6 til 8 bokstaver"),
    ],
)
def test_bad_smpp_accounts_are_explained_next_to_the_field(
    console: ApiServer, browser: Browser, system_id: str, password: str, field: str, says: str
) -> None:
    owner_of(console, browser)
    assert browser.post(f"{PAGE}/smpp", {"system_id": "taken"}, PAGE).status_code == 201
    page = browser.post(f"{PAGE}/smpp", {"system_id": system_id, "password": password}, PAGE)
    assert page.status_code == 422
    assert f'<p class="error" id="f-{field}-error">{says}' in page.text
    assert f'value="{system_id}"' in page.text
    if password:
        assert password not in page.text  # a password is never put back into the page
    assert page.text.count("<td><code>") == 1  # only the account "taken"


def test_another_customers_smpp_account_is_not_found(console: ApiServer, browser: Browser) -> None:
    owner_of(console, browser)
    roma = Browser(console)
    owner_of(console, roma, "Roma")
    assert roma.post(f"{PAGE}/smpp", {"system_id": "roma"}, PAGE).status_code == 201
    assert browser.post(f"{PAGE}/smpp/roma/remove", {}, PAGE).status_code == 404
    assert browser.post(f"{PAGE}/smpp/nobody/remove", {}, PAGE).status_code == 404
    assert "<code>roma</code>" not in browser.get(PAGE).text
    assert "<code>roma</code>" in roma.get(PAGE).text and "fjernet" not in roma.get(PAGE).text
    roma.close()
