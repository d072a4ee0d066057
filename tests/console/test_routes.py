"""The route editor: an owner routes a keyword (and the default route) to a webhook,
e-mail, SMS forward, SMPP or the inbox with the API's checks (a loopback webhook is
refused next to the field, what was typed kept); "send test" reaches a real HTTP receiver
signed with the customer's secret; a message texted over real SMPP shows in the last
deliveries with its response code; another customer's keyword is not found."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from kodeord.adapters.db.schema import customer_settings
from kodeord.domain.users import Role
from tests.console.browser import shot
from tests.console.conftest import wait_bound
from tests.console.support import ADMIN_TOKEN, Browser, console_options, make_customer, make_user
from tests.console.test_browser_signin import sign_in
from tests.support import ApiServer, WebhookReceiver


@pytest.fixture
def hooks(database_url: str) -> Iterator[ApiServer]:
    """A gateway that may post webhooks to 127.0.0.1 (the tests' receivers), with 2077."""
    options = console_options(webhook_allow_private=True)
    with ApiServer(database_url, ADMIN_TOKEN, options) as server:
        add_number(server)
        yield server


def add_number(server: ApiServer) -> None:
    number = {"number": "2077", "mode": "shared", "keyword_fee_ore": 1000}
    assert server.admin().post("/v1/numbers", json=number).status_code == 201


def lease(server: ApiServer, customer_id: int, keyword: str = "PIZZA") -> int:
    body = {"number": "2077", "keyword": keyword, "customer_id": customer_id}
    made = server.admin().post("/v1/keywords", json=body)
    assert made.status_code == 201, made.text
    lease_id: int = made.json()["id"]
    return lease_id


def signing_secret(server: ApiServer, customer_id: int) -> str:
    key = server.admin().post(f"/v1/customers/{customer_id}/api-keys").json()["key"]
    secret: str = server.client(key).post("/v1/signing-secret").json()["secret"]
    return secret


def owner(server: ApiServer, name: str = "Napoli") -> tuple[Browser, int, int]:
    """A signed-in owner of a new customer with the keyword PIZZA on 2077."""
    customer_id = make_customer(server, name)
    lease_id = lease(server, customer_id)
    make_user(server, f"eier@{name.lower()}.no", Role.OWNER, customer_id)
    browser = Browser(server)
    browser.sign_in(f"eier@{name.lower()}.no")
    return browser, customer_id, lease_id


def stored_route(server: ApiServer, lease_id: int) -> dict[str, Any]:
    route: dict[str, Any] = server.admin().get(f"/v1/keywords/{lease_id}").json()["route"]
    return route


@pytest.mark.parametrize(
    ("typed", "route"),
    [
        ({"type": "email", "email": "ola@napoli.no"}, {"type": "email", "to": "ola@napoli.no"}),
        ({"type": "sms", "phone": "91234567"}, {"type": "sms", "to": "+4791234567"}),
        ({"type": "smpp"}, {"type": "smpp"}),
        ({"type": "inbox", "url": "https://ignored.example"}, {"type": "inbox"}),
        (
            {"type": "webhook", "url": "https://93.184.215.14/sms"},
            {"type": "webhook", "url": "https://93.184.215.14/sms"},
        ),
    ],
)
def test_an_owner_sets_a_keywords_route(
    console: ApiServer, typed: dict[str, str], route: dict[str, str]
) -> None:
    add_number(console)
    browser, _, lease_id = owner(console)
    saved = browser.post(f"/console/routes/{lease_id}", typed)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/console/routes/{lease_id}?saved=1"
    assert stored_route(console, lease_id) == route
    shown = browser.get(saved.headers["location"])
    assert "Ruten er lagret." in shown.text
    assert f'value="{typed["type"]}" checked' in shown.text
    browser.close()


@pytest.mark.parametrize(
    ("typed", "field", "says"),
    [
        (
            {"type": "webhook", "url": "https://127.0.0.1/hook"},
            "url",
            "Webhooker går bare til offentlige internettadresser, ikke til denne.",
        ),
        (
            {"type": "webhook", "url": "http://10.1.2.3/hook"},
            "url",
            "Webhooker går bare til offentlige internettadresser, ikke til denne.",
        ),
        (
            {"type": "webhook", "url": "ftp://example.no/hook"},
            "url",
            "Skriv en nettadresse som begynner med https:// eller http://.",
        ),
        ({"type": "email", "email": "ola"}, "email", "Det er ikke en e-postadresse."),
        ({"type": "sms", "phone": "123"}, "phone", "Skriv et telefonnummer, f.eks. +4791234567."),
    ],
)
def test_a_refused_route_is_explained_next_to_its_field_and_kept(
    console: ApiServer, typed: dict[str, str], field: str, says: str
) -> None:
    add_number(console)
    browser, _, lease_id = owner(console)
    refused = browser.post(f"/console/routes/{lease_id}", typed)
    assert refused.status_code == 422
    assert f'<p class="error" id="f-{field}-error">{says}</p>' in refused.text
    assert f'value="{typed[field]}"' in refused.text
    assert f'value="{typed["type"]}" checked' in refused.text
    assert stored_route(console, lease_id) == {"type": "inbox"}
    browser.close()


@pytest.mark.parametrize("typed", [{"type": "pigeon"}, {}])
def test_a_route_of_no_known_type_is_refused(console: ApiServer, typed: dict[str, str]) -> None:
    add_number(console)
    browser, _, lease_id = owner(console)
    refused = browser.post(f"/console/routes/{lease_id}", typed)
    assert refused.status_code == 422 and "Velg hvor meldingene skal gå." in refused.text
    assert stored_route(console, lease_id) == {"type": "inbox"}
    browser.close()


def test_the_default_route_changes_and_the_session_window_stays(console: ApiServer) -> None:
    add_number(console)
    browser, customer_id, _ = owner(console)
    key = console.admin().post(f"/v1/customers/{customer_id}/api-keys").json()["key"]
    settings = {"session_window_minutes": 90, "default_route": {"type": "smpp"}}
    assert console.client(key).put("/v1/settings", json=settings).status_code == 200
    saved = browser.post("/console/routes/default", {"type": "email", "email": "post@napoli.no"})
    assert saved.status_code == 303
    shown = browser.get("/console/routes/default").text
    assert "E-post til post@napoli.no" in shown and "Standardrute" in shown
    assert read_settings(console, customer_id) == (90, {"type": "email", "to": "post@napoli.no"})
    index = browser.get("/console/routes").text
    assert 'href="/console/routes/default"' in index and "E-post til post@napoli.no" in index
    browser.close()


def read_settings(server: ApiServer, customer_id: int) -> tuple[int, dict[str, Any]]:
    async def read() -> tuple[int, dict[str, Any]]:
        columns = customer_settings.c
        query = select(columns.session_window_minutes, columns.default_route).where(
            columns.customer_id == customer_id
        )
        async with server.gateway.db.transaction() as conn:
            row = (await conn.execute(query)).one()
        route = row.default_route if isinstance(row.default_route, dict) else {}
        return int(row.session_window_minutes), route

    found: tuple[int, dict[str, Any]] = server.call(read())
    return found


def test_send_test_reaches_a_real_receiver_signed(hooks: ApiServer) -> None:
    browser, customer_id, lease_id = owner(hooks)
    with WebhookReceiver() as receiver:
        unsigned = browser.post(
            f"/console/routes/{lease_id}", {"type": "webhook", "url": receiver.url}
        )
        assert unsigned.status_code == 303
        page = browser.get(f"/console/routes/{lease_id}").text
        assert "du har ingen ennå" in page
        refused = browser.post(
            f"/console/routes/{lease_id}/test", {}, f"/console/routes/{lease_id}"
        )
        assert refused.status_code == 409
        assert "lag først en signeringsnøkkel" in refused.text and not receiver.requests
        secret = signing_secret(hooks, customer_id)
        tested = browser.post(f"/console/routes/{lease_id}/test", {}, f"/console/routes/{lease_id}")
        assert tested.status_code == 200 and "Webhooken svarte 200 på" in tested.text
        headers, body = receiver.wait_for(1)[0]
    sent = Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
    assert sent["type"] == "test" and sent["keyword"] == "PIZZA" and sent["number"] == "2077"
    assert sent["id"].startswith("test_") and json.loads(body) == sent
    assert "du har ingen ennå" not in browser.get(f"/console/routes/{lease_id}").text
    browser.close()


def test_a_failing_receiver_shows_its_code(hooks: ApiServer) -> None:
    browser, customer_id, lease_id = owner(hooks)
    signing_secret(hooks, customer_id)
    with WebhookReceiver(status=503) as receiver:
        browser.post(f"/console/routes/{lease_id}", {"type": "webhook", "url": receiver.url})
        tested = browser.post(f"/console/routes/{lease_id}/test", {}, f"/console/routes/{lease_id}")
    assert tested.status_code == 200
    assert "Webhooken svarte 503: det er ikke et vellykket svar." in tested.text
    browser.close()


def test_a_route_that_is_no_webhook_has_no_test(console: ApiServer) -> None:
    add_number(console)
    browser, _, lease_id = owner(console)
    assert "Send test" not in browser.get(f"/console/routes/{lease_id}").text
    refused = browser.post(f"/console/routes/{lease_id}/test", {}, f"/console/routes/{lease_id}")
    assert refused.status_code == 409 and "Lagre en webhook-rute først" in refused.text
    browser.close()


def test_a_texted_message_shows_in_the_last_deliveries(database_url: str, page: Any) -> None:
    options = console_options(webhook_allow_private=True)
    with ApiServer(database_url, ADMIN_TOKEN, options, simulator=True) as server:
        add_number(server)
        wait_bound(server)
        browser, customer_id, lease_id = owner(server)
        signing_secret(server, customer_id)
        make_user(server, "kari@drift.no", Role.PROVIDER)
        phone = Browser(server)
        phone.sign_in("kari@drift.no")
        with WebhookReceiver() as receiver:
            browser.post(f"/console/routes/{lease_id}", {"type": "webhook", "url": receiver.url})
            texted = {"phone": "91234567", "to": "2077", "text": "PIZZA en stor"}
            assert phone.post("/console/phone", texted).status_code == 201
            receiver.wait_for(1)
            row = wait_for_delivery(browser, lease_id)
        assert "<td>200</td>" in row and "levert" in row and receiver.url in row
        assert "Ingen leveringer ennå." in browser.get("/console/routes/default").text
        sign_in(page, server.base_url, "eier@napoli.no")
        for lang in ("nb", "en"):
            page.goto(f"{server.base_url}/console/routes/{lease_id}?lang={lang}")
            page.locator(".deliveries table").scroll_into_view_if_needed()
            shot(page, "route-deliveries", lang)
        phone.close()
        browser.close()


def wait_for_delivery(browser: Browser, lease_id: int) -> str:
    """The first row of the page's last deliveries, once there is one."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        page = browser.get(f"/console/routes/{lease_id}").text
        if "<tbody>" in page and "Siste leveringer" in page and "Forsøk" in page:
            return page.split("Forsøk", 1)[1].split("</tr>", 2)[1]
        time.sleep(0.1)
    raise AssertionError("no delivery shown")


def test_another_customers_keyword_is_not_found(console: ApiServer) -> None:
    add_number(console)
    browser, _, own = owner(console)
    other = lease(console, make_customer(console, "Roma"), "PASTA")
    assert browser.get(f"/console/routes/{other}").status_code == 404
    assert browser.get("/console/routes/nonsense").status_code == 404
    form = f"/console/routes/{own}"
    hijack = browser.post(f"/console/routes/{other}", {"type": "inbox"}, form)
    assert hijack.status_code == 404
    assert browser.post(f"/console/routes/{other}/test", {}, form).status_code == 404
    index = browser.get("/console/routes").text
    assert "PIZZA" in index and "PASTA" not in index
    browser.close()


def test_a_post_without_csrf_is_refused_and_does_nothing(console: ApiServer) -> None:
    add_number(console)
    browser, _, lease_id = owner(console)
    sent = browser.http.post(f"/console/routes/{lease_id}", data={"type": "smpp"})
    assert sent.status_code == 403
    assert stored_route(console, lease_id) == {"type": "inbox"}
    browser.close()


def test_a_member_sees_routes_but_cannot_change_them(console: ApiServer) -> None:
    add_number(console)
    napoli = make_customer(console, "Napoli")
    lease_id = lease(console, napoli)
    make_user(console, "ola@napoli.no", Role.MEMBER, napoli)
    browser = Browser(console)
    browser.sign_in("ola@napoli.no")
    page = browser.get(f"/console/routes/{lease_id}")
    assert page.status_code == 200 and "Innboks" in page.text and "Lagre ruten" not in page.text
    refused = browser.post(f"/console/routes/{lease_id}", {"type": "smpp"}, "/console/routes")
    assert refused.status_code == 403
    browser.close()


def test_a_provider_has_no_routes_of_its_own(console: ApiServer, browser: Browser) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    browser.sign_in("kari@drift.no")
    assert 'href="/console/routes"' not in browser.get("/console/").text
    assert browser.get("/console/routes").status_code == 404


def test_in_the_browser_route_to_a_webhook_and_send_a_test(hooks: ApiServer, page: Any) -> None:
    base = hooks.base_url
    napoli = make_customer(hooks, "Pizzeria Napoli")
    lease_id = lease(hooks, napoli)
    secret = signing_secret(hooks, napoli)
    make_user(hooks, "eier@napoli.no", Role.OWNER, napoli)
    sign_in(page, base, "eier@napoli.no")
    page.get_by_role("link", name="Ruter").click()
    shot(page, "routes", "nb")
    page.get_by_role("link", name="Rute for PIZZA").click()
    with WebhookReceiver() as receiver:
        page.get_by_label("Webhook: en signert POST til systemet ditt").check()
        page.get_by_label("Nettadresse (URL)").fill("ftp://pizza.example/sms")
        page.get_by_role("button", name="Lagre ruten").click()
        assert page.locator("#f-url-error").inner_text().startswith("Skriv en nettadresse")
        assert page.get_by_label("Nettadresse (URL)").input_value() == "ftp://pizza.example/sms"
        shot(page, "route-refused", "nb")
        page.get_by_label("Nettadresse (URL)").fill(receiver.url)
        page.get_by_role("button", name="Lagre ruten").click()
        assert page.get_by_role("status").first.inner_text() == "Ruten er lagret."
        page.get_by_role("button", name="Send test").click()
        assert "Webhooken svarte 200" in page.locator("#test-result").inner_text()
        headers, body = receiver.wait_for(1)[0]
        shot(page, "route", "nb")
        shot(page, "route", "nb", phone=True)
        page.goto(f"{base}/console/routes/{lease_id}?lang=en")
        page.get_by_role("button", name="Send test").click()
        assert "The webhook answered 200" in page.locator("#test-result").inner_text()
        shot(page, "route", "en")
        page.goto(f"{base}/console/routes?lang=en")
        shot(page, "routes", "en")
    Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
