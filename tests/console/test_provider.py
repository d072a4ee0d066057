"""The provider's pages: customers made, suspended and resumed; an unmatched MO from the
simulator phone handed to a customer lands in that customer's inbox; the operator links'
live state (bound, window in use, rate, last error); opt-outs looked up, exported and
removed; none of it exists for a customer user."""

from __future__ import annotations

import csv
import io
import socket
import time
from typing import Any

import pytest

from kodeord.domain.users import Role
from kodeord.web.console.provider import ore
from tests.console.browser import shot
from tests.console.support import Browser, make_customer, make_user
from tests.console.test_browser_signin import sign_in
from tests.conversations.support import World
from tests.support import ApiServer

PHONE = "+4791234567"
PAGES = [
    "numbers",
    "numbers/2077",
    "customers",
    "operator-inbox",
    "links",
    "links.json",
    "opt-outs",
    "opt-outs.csv",
]


def provider(server: ApiServer) -> Browser:
    make_user(server, "kari@drift.no", Role.PROVIDER)
    browser = Browser(server)
    browser.sign_in("kari@drift.no")
    return browser


def test_customers_made_suspended_and_resumed(console: ApiServer) -> None:
    browser = provider(console)
    empty = browser.post("/console/provider/customers", {"name": "  "})
    assert empty.status_code == 422
    assert 'id="f-name-error">Gi kunden et navn (høyst 200 tegn).' in empty.text
    long = browser.post("/console/provider/customers", {"name": "x" * 201})
    assert long.status_code == 422 and f'value="{"x" * 201}"' in long.text
    assert browser.post("/console/provider/customers", {"name": "Napoli AS"}).status_code == 303
    (napoli,) = console.admin().get("/v1/customers").json()
    page = browser.get("/console/provider/customers").text
    assert "Napoli AS" in page and "Suspender Napoli AS" in page
    path = f"/console/provider/customers/{napoli['id']}"
    assert browser.post(path + "/suspend", {}, "/console/provider/customers").status_code == 303
    assert console.admin().get("/v1/customers").json()[0]["suspended_at"] is not None
    assert "Gjenoppta Napoli AS" in browser.get("/console/provider/customers").text
    assert browser.post(path + "/resume", {}, "/console/provider/customers").status_code == 303
    assert console.admin().get("/v1/customers").json()[0]["suspended_at"] is None
    missing = browser.post(
        "/console/provider/customers/999/suspend", {}, "/console/provider/customers"
    )
    assert missing.status_code == 404
    actions = {e["action"] for e in console.admin().get("/v1/admin/audit-log").json()}
    assert {"create_customer", "customer.change"} <= actions
    browser.close()


def test_no_provider_page_exists_for_a_customer_user(console: ApiServer) -> None:
    napoli = make_customer(console, "Napoli")
    make_user(console, "eier@napoli.no", Role.OWNER, napoli)
    owner = Browser(console)
    owner.sign_in("eier@napoli.no")
    assert "/console/provider" not in owner.get("/console/").text
    for page in PAGES:
        assert owner.get(f"/console/provider/{page}").status_code == 404, page
    for path in ("/console/provider/customers", f"/console/provider/customers/{napoli}/suspend"):
        assert owner.post(path, {"name": "x"}, "/console/").status_code == 404
    assert console.admin().get("/v1/customers").json()[0]["suspended_at"] is None
    owner.close()


def test_an_unmatched_message_is_handed_to_a_customer(console_with_phone: ApiServer) -> None:
    world = World(console_with_phone)
    api = world.customer("Napoli", "PIZZA", "2077")
    napoli = api.get("/v1/keywords").json()[0]["customer_id"]
    make_user(console_with_phone, "eier@napoli.no", Role.OWNER, napoli)
    browser = provider(console_with_phone)
    world.text(PHONE, "2077", "Hei, er dere åpne?")  # no keyword: the operator inbox
    message = world.inbound(console_with_phone.admin(), "Hei, er dere åpne?")
    page = browser.get("/console/provider/operator-inbox").text
    assert "Hei, er dere åpne?" in page
    filtered = browser.get("/console/provider/operator-inbox", params={"phone": "41234567"})
    assert "Hei, er dere åpne?" not in filtered.text
    bad = browser.get("/console/provider/operator-inbox", params={"number": "12"})
    assert "Oppgi et kortnummer" in bad.text
    path = f"/console/provider/operator-inbox/{message['id']}/hand-over"
    unchosen = browser.post(path, {"customer_id": ""}, "/console/provider/operator-inbox")
    assert (
        unchosen.status_code == 422
        and f'id="c-{message["id"]}-error">Velg en kunde.' in unchosen.text
    )
    handed = browser.post(path, {"customer_id": str(napoli)}, "/console/provider/operator-inbox")
    assert handed.status_code == 303
    assert "Hei, er dere åpne?" not in browser.get("/console/provider/operator-inbox").text
    again = browser.post(path, {"customer_id": str(napoli)}, "/console/provider/operator-inbox")
    assert again.status_code == 409 and "allerede gitt videre" in again.text
    owner = Browser(console_with_phone)
    owner.sign_in("eier@napoli.no")
    assert "Hei, er dere åpne?" in owner.get("/console/inbox").text
    for client in (owner, browser):
        client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_links_live_state(console_with_phone: ApiServer) -> None:
    world = World(console_with_phone)
    api = world.customer("Napoli", "PIZZA", "2077")
    down = {
        "name": "telia",
        "host": "127.0.0.1",
        "port": free_port(),
        "system_id": "kodeord",
        "password": "x",
    }
    assert console_with_phone.admin().post("/v1/operator-links", json=down).status_code == 201
    browser = provider(console_with_phone)
    page = browser.get("/console/provider/links").text
    assert "tilkoblet" in page and "telia" in page
    for n in range(20):
        api.post("/v1/messages", json={"from": "2077", "to": f"+479000{n:04d}", "text": "Hei"})
    world.received("+4790000019", 1)
    deadline = time.monotonic() + 10
    while True:
        links = {link["name"]: link for link in browser.get("/console/provider/links.json").json()}
        if "connect failed" in (links["telia"]["last_error"] or ""):
            break
        assert time.monotonic() < deadline, links
        time.sleep(0.2)
    simulator = next(link for name, link in links.items() if name != "telia")
    assert simulator["state"] == "bound" and simulator["in_use"] == 0
    assert links["telia"]["state"] != "bound" and links["telia"]["last_error_at_text"]
    time.sleep(1.1)  # the next look gives the rate since this one
    for n in range(10):
        api.post("/v1/messages", json={"from": "2077", "to": f"+479100{n:04d}", "text": "Hei"})
    world.received("+4791000009", 1)
    rated = {link["name"]: link for link in browser.get("/console/provider/links.json").json()}
    assert float(rated[simulator["name"]]["per_second_text"].replace(",", ".")) > 0
    api_view = console_with_phone.admin().get("/v1/operator-links").json()
    assert {"in_use", "per_second", "last_error", "last_error_at"} <= set(api_view[0])
    browser.close()


def test_opt_outs_looked_up_exported_and_removed(console_with_phone: ApiServer) -> None:
    world = World(console_with_phone)
    world.customer("Napoli", "PIZZA", "2077")
    world.text(PHONE, "2077", "STOPP")
    world.received(PHONE, 1)
    browser = provider(console_with_phone)
    bad = browser.get("/console/provider/opt-outs", params={"phone": "hei"})
    assert bad.status_code == 422 and "Det er ikke et telefonnummer." in bad.text
    found = browser.get("/console/provider/opt-outs", params={"phone": "91234567"}).text
    assert "2077" in found and PHONE in found
    export = browser.get("/console/provider/opt-outs.csv")
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0][:2] == ["number", "phone"] and rows[1][:2] == ["2077", PHONE]
    path = f"/console/provider/opt-outs/2077/{PHONE}/remove"
    assert browser.post(path, {}, "/console/provider/opt-outs?phone=91234567").status_code == 303
    after = browser.get("/console/provider/opt-outs", params={"phone": "91234567"}).text
    assert "har ikke sendt STOPP" in after
    browser.close()


def test_in_the_browser_hand_over_and_link_state(console_with_phone: ApiServer, page: Any) -> None:
    world = World(console_with_phone)
    world.customer("Napoli", "PIZZA", "2077")
    make_user(console_with_phone, "kari@drift.no", Role.PROVIDER)
    world.text(PHONE, "2077", "Hvem eier dette nummeret?")
    world.inbound(console_with_phone.admin(), "Hvem eier dette nummeret?")
    base = console_with_phone.base_url
    sign_in(page, base, "kari@drift.no")
    page.get_by_role("link", name="Operatørinnboks").click()
    shot(page, "operator-inbox", "nb")
    page.get_by_label("Gi til").select_option(label="Napoli")
    page.get_by_role("button", name="Gi videre").click()
    page.get_by_text("Operatørinnboksen er tom.").wait_for()
    page.get_by_role("link", name="Operatørkoblinger").click()
    page.get_by_text("tilkoblet").first.wait_for()
    shot(page, "links", "nb")
    page.get_by_role("link", name="Kunder").click()
    shot(page, "customers", "nb")
    page.get_by_role("link", name="Reservasjoner (STOPP)").click()
    shot(page, "opt-outs", "nb")
    page.get_by_role("link", name="Kortnumre").click()
    page.get_by_role("link", name="2077").click()
    page.get_by_label("Dialog-ID").check()
    page.get_by_role("button", name="Lagre").click()
    page.get_by_text("Lagret.").wait_for()
    shot(page, "number", "nb")
    for name in ("customers", "numbers", "numbers/2077", "operator-inbox", "links", "opt-outs"):
        page.goto(f"{base}/console/provider/{name}?lang=en")
        shot(page, name.replace("numbers/2077", "number"), "en")


@pytest.mark.parametrize(
    ("typed", "want"),
    [
        ("49", 4900),
        ("49,50", 4950),
        ("49.5", 4950),
        ("1 234,05", 123405),
        ("", 0),
        ("-1", None),
        ("4,999", None),
        ("tolv", None),
    ],
)
def test_kroner_are_read_as_typed(typed: str, want: int | None) -> None:
    assert ore(typed) == want


def test_numbers_made_and_their_settings(console: ApiServer) -> None:
    browser = provider(console)
    napoli = make_customer(console, "Napoli")
    base = {
        "number": "2077",
        "mode": "shared",
        "owner": "",
        "keyword_fee": "49",
        "monthly_fee": "0",
        "setup_fee": "0",
        "segment_price": "0,39",
    }
    cases = [
        ({"number": "077"}, "number", "Et kortnummer har 4 eller 5 sifre"),
        ({"mode": "dedicated"}, "owner", "Et eget nummer trenger sin kunde."),
        ({"keyword_fee": "mye"}, "keyword_fee", "Oppgi et beløp i kroner"),
    ]
    for change, field, says in cases:
        page = browser.post("/console/provider/numbers", {**base, **change})
        assert page.status_code == 422 and f'id="f-{field}-error">{says}' in page.text, change
        assert f'value="{ {**base, **change}["number"] }"' in page.text
    made = browser.post("/console/provider/numbers", base)
    assert made.status_code == 303 and made.headers["location"] == "/console/provider/numbers/2077"
    number = console.admin().get("/v1/numbers").json()[0]
    assert number["keyword_fee_ore"] == 4900 and number["segment_price_ore"] == 39
    again = browser.post("/console/provider/numbers", base)
    assert again.status_code == 422 and "allerede registrert" in again.text
    dedicated = {**base, "number": "20780", "mode": "dedicated", "owner": str(napoli)}
    assert browser.post("/console/provider/numbers", dedicated).status_code == 303
    assert "eget nummer for kunde" in browser.get("/console/provider/numbers").text
    settings = {
        "help_text": "Pizza Napoli: send PIZZA",
        "reply_unknown": "on",
        "reply_language": "en",
        "dialog_ids": "on",
    }
    saved = browser.post("/console/provider/numbers/2077", settings)
    assert saved.status_code == 200 and "Lagret." in saved.text
    stored = console.admin().get("/v1/numbers/2077/settings").json()
    assert stored == {
        "number": "2077",
        "help_text": "Pizza Napoli: send PIZZA",
        "reply_unknown": True,
        "reply_language": "en",
        "dialog_ids": True,
    }
    page = browser.get("/console/provider/numbers/2077").text
    assert 'name="dialog_ids" checked' in page and "Pizza Napoli: send PIZZA" in page
    too_long = browser.post(
        "/console/provider/numbers/2077",
        {**settings, "help_text": "x" * 481},
        "/console/provider/numbers/2077",
    )
    assert too_long.status_code == 422 and "Høyst 480 tegn." in too_long.text
    assert browser.get("/console/provider/numbers/9999").status_code == 404
    off = browser.post("/console/provider/numbers/2077", {"help_text": ""})
    assert off.status_code == 200
    assert console.admin().get("/v1/numbers/2077/settings").json()["dialog_ids"] is False
    browser.close()
