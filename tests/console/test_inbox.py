"""The inbox as conversations: an MO from the simulator phone makes a thread with an
unread count, the reply box answers it over SMPP, and the phone's keywordless answer
lands in the same thread — once by dialog ID, once by session; another customer cannot
open the thread; refusals are shown next to the box with the text kept; in a real
browser new messages appear without a reload."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest

from kodeord.domain.users import Role
from tests.console.browser import shot
from tests.console.support import Browser, make_user
from tests.console.test_browser_signin import sign_in
from tests.conversations.support import World
from tests.support import ApiServer

PHONE = "+4791234567"
THREAD = "/console/inbox/2077/4791234567"


def napoli(server: ApiServer, dialog_ids: bool) -> tuple[World, httpx.Client, Browser]:
    """Pizzeria Napoli with PIZZA on 2077 (dialog IDs on or off): its API client and its
    owner signed in to the console."""
    world = World(server)
    if dialog_ids:
        settings = {"dialog_ids": True}
        assert server.admin().put("/v1/numbers/2077/settings", json=settings).status_code == 200
    api = world.customer("Napoli", "PIZZA", "2077")
    make_user(
        server, "eier@napoli.no", Role.OWNER, api.get("/v1/keywords").json()[0]["customer_id"]
    )
    browser = Browser(server)
    browser.sign_in("eier@napoli.no")
    return world, api, browser


def wait_page(browser: Browser, path: str, text: str) -> str:
    deadline = time.monotonic() + 20
    page = ""
    while time.monotonic() < deadline:
        page = browser.get(path).text
        if text in page:
            return page
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not on {path}: {page}")


@pytest.mark.parametrize("dialog_ids", [True, False], ids=["dialog-id", "session"])
def test_a_reply_from_the_thread_and_the_plain_answer_back(
    console_with_phone: ApiServer, dialog_ids: bool
) -> None:
    world, api, browser = napoli(console_with_phone, dialog_ids)
    if not dialog_ids:
        assert api.put("/v1/settings", json={"session_window_minutes": 60}).status_code == 200
    world.text(PHONE, "2077", "PIZZA en margherita")
    inbox = wait_page(browser, "/console/inbox", "PIZZA en margherita")
    assert "1 uleste" in inbox and f'href="{THREAD}"' in inbox
    thread = browser.get(THREAD)
    assert thread.status_code == 200 and "Fra +4791234567" in thread.text
    assert "Alt er lest." in browser.get("/console/inbox").text  # opening it read it

    answered = browser.post(THREAD + "/reply", {"text": "Klar kl. 18:30"}, THREAD)
    assert answered.status_code == 303
    (got,) = world.received(PHONE, 1)
    assert got.text == "Klar kl. 18:30"
    if dialog_ids:
        assert re.fullmatch(r"2077\d{4}", got.sender)
        assert f"fra {got.sender}" in browser.get(THREAD).text
    else:
        assert got.sender == "2077"
    world.text(PHONE, got.sender, "takk, kommer")  # no keyword
    page = wait_page(browser, THREAD, "takk, kommer")
    assert page.index("PIZZA en margherita") < page.index("Klar kl. 18:30") < page.index("takk")
    step = "dialog" if dialog_ids else "session"
    assert world.inbound(api, "takk, kommer")["route_step"] == step
    browser.close()


def test_only_the_customer_opens_its_threads(console_with_phone: ApiServer) -> None:
    world, _api, browser = napoli(console_with_phone, dialog_ids=False)
    world.text(PHONE, "2077", "PIZZA hei")
    wait_page(browser, "/console/inbox", "PIZZA hei")
    world.customer("Olsen", "SKO", "2077")
    olsen_id = console_with_phone.admin().get("/v1/customers").json()[-1]["id"]
    make_user(console_with_phone, "eier@olsen.no", Role.OWNER, olsen_id)
    olsen = Browser(console_with_phone)
    olsen.sign_in("eier@olsen.no")
    assert "PIZZA hei" not in olsen.get("/console/inbox").text
    for path in (THREAD, "/console/inbox/2077/notaphone", "/console/inbox/9999/4791234567"):
        assert olsen.get(path).status_code == 404
    refused = olsen.post(THREAD + "/reply", {"text": "hei"}, "/console/inbox")
    assert refused.status_code == 404
    assert world.simulator.phones.messages(PHONE) == []
    make_user(console_with_phone, "kari@drift.no", Role.PROVIDER)
    provider = Browser(console_with_phone)
    provider.sign_in("kari@drift.no")
    assert provider.get("/console/inbox").status_code == 404
    no_token = browser.http.post(THREAD + "/reply", data={"text": "hei"})
    assert no_token.status_code == 403
    for client in (olsen, provider, browser):
        client.close()


def test_a_refused_answer_is_explained_and_kept(console_with_phone: ApiServer) -> None:
    world, _api, browser = napoli(console_with_phone, dialog_ids=False)
    world.text(PHONE, "2077", "PIZZA hei")
    wait_page(browser, "/console/inbox", "PIZZA hei")
    cases = [("   ", "Skriv en melding."), ("x" * 1600, "Meldingen er for lang.")]
    for typed, says in cases:
        page = browser.post(THREAD + "/reply", {"text": typed}, THREAD)
        assert page.status_code == 422
        assert f'id="f-text-error">{says}' in page.text and f">{typed}</textarea>" in page.text
    world.text(PHONE, "2077", "STOPP")
    world.received(PHONE, 1)  # the gateway confirms the STOPP (not the customer's MO)
    page = browser.post(THREAD + "/reply", {"text": "Savner deg"}, THREAD)
    assert page.status_code == 422 and "har sendt STOPP" in page.text
    search = browser.get("/console/inbox", params={"q": "ingenting slikt"}).text
    assert "Ingen samtaler passer." in search
    assert THREAD in browser.get("/console/inbox", params={"q": "91234"}).text
    assert THREAD in browser.get("/console/inbox", params={"q": "HEI"}).text
    browser.close()


@pytest.mark.parametrize("dialog_ids", [True, False], ids=["dialog-id", "session"])
def test_in_the_browser_new_messages_arrive_without_reload(
    console_with_phone: ApiServer, page: Any, dialog_ids: bool
) -> None:
    world, api, http = napoli(console_with_phone, dialog_ids)
    http.close()
    if not dialog_ids:
        assert api.put("/v1/settings", json={"session_window_minutes": 60}).status_code == 200
    base = console_with_phone.base_url
    sign_in(page, base, "eier@napoli.no")
    page.get_by_role("link", name="Innboks").click()
    page.get_by_text("Ingen meldinger ennå").wait_for()
    world.text(PHONE, "2077", "PIZZA to store pepperoni")
    row = page.locator(".thread-row.unread")
    row.wait_for()  # swapped in by the page's live view, no reload
    assert "+4791234567" in row.inner_text()
    shot(page, "inbox", "nb")
    row.get_by_role("link").click()
    page.get_by_label("Svar").fill("Klar om 20 minutter")
    page.get_by_role("button", name="Send svar").click()
    (got,) = world.received(PHONE, 1)
    assert (got.sender != "2077") is dialog_ids
    page.get_by_label("Svar").fill("Vil du ha")  # half typed while the phone answers
    world.text(PHONE, got.sender, "supert")  # no keyword: by dialog ID, or by session
    page.locator(".bubble.in", has_text="supert").wait_for()
    assert page.get_by_label("Svar").input_value() == "Vil du ha"
    if not dialog_ids:
        return  # the screenshots are of the dialog-ID run
    shot(page, "inbox-thread", "nb")
    shot(page, "inbox-thread", "nb", phone=True)
    page.goto(page.url + "?lang=en")
    page.get_by_text("Send answer").wait_for()
    shot(page, "inbox-thread", "en")
    page.goto(f"{base}/console/inbox")
    shot(page, "inbox", "en")
