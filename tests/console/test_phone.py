"""The phone simulator page: a virtual phone texts the gateway over real SMPP through
the built-in operator simulator and sees the replies; bad input is explained next to the
field; without the simulator the page is not found."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kodeord.domain.users import Role
from tests.console.browser import shot
from tests.console.support import Browser, make_user
from tests.console.test_browser_signin import sign_in
from tests.support import ApiServer


def wait_for_text(browser: Browser, phone: str, text: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        thread = browser.get("/console/phone/messages", params={"phone": phone}).json()
        if any(text in m["text"] and m["way"] == "in" for m in thread):
            return list(thread)
        time.sleep(0.1)
    raise AssertionError(f"no reply with {text!r}: {thread}")


def test_the_phone_asks_for_help_and_gets_the_numbers_help_text(
    console_with_phone: ApiServer,
) -> None:
    make_user(console_with_phone, "kari@drift.no", Role.PROVIDER)
    browser = Browser(console_with_phone)
    browser.sign_in("kari@drift.no")
    page = browser.get("/console/phone")
    assert page.status_code == 200 and "Telefonsimulator" in page.text
    assert '<option value="2077">' in page.text
    sent = browser.post("/console/phone", {"phone": "91234567", "to": "2077", "text": "HJELP"})
    assert sent.status_code == 201 and "HJELP" in sent.text
    thread = wait_for_text(browser, "+4791234567", "")
    assert thread[0]["way"] == "out" and thread[0]["other"] == "2077"
    assert thread[-1]["way"] == "in" and thread[-1]["other"] == "2077"
    browser.close()


@pytest.mark.parametrize(
    ("typed", "field", "says"),
    [
        ({"phone": "123", "to": "2077", "text": "Hei"}, "phone", "Skriv et mobilnummer"),
        ({"phone": "91234567", "to": "20", "text": "Hei"}, "to", "Skriv et kortnummer"),
        ({"phone": "91234567", "to": "2077", "text": "  "}, "text", "Skriv en melding."),
        ({"phone": "91234567", "to": "2077", "text": "x" * 919}, "text", "Meldingen er for lang"),
    ],
)
def test_bad_input_is_explained_next_to_the_field_and_kept(
    console_with_phone: ApiServer, typed: dict[str, str], field: str, says: str
) -> None:
    make_user(console_with_phone, "kari@drift.no", Role.PROVIDER)
    browser = Browser(console_with_phone)
    browser.sign_in("kari@drift.no")
    page = browser.post("/console/phone", typed)
    assert page.status_code == 422
    assert f'id="f-{field}-error">{says}' in page.text
    assert f'value="{typed["to"]}"' in page.text
    browser.close()


def test_without_the_simulator_the_page_is_not_found(console: ApiServer, browser: Browser) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    browser.sign_in("kari@drift.no")
    assert 'href="/console/phone"' not in browser.get("/console/").text
    page = browser.get("/console/phone")
    assert page.status_code == 404 and "Operatørsimulatoren kjører ikke." in page.text


def test_in_the_browser_a_reply_arrives_without_reload(
    console_with_phone: ApiServer, page: Any
) -> None:
    base = console_with_phone.base_url
    make_user(console_with_phone, "kari@drift.no", Role.PROVIDER)
    sign_in(page, base, "kari@drift.no")
    page.get_by_role("link", name="Telefonsimulator").click()
    page.get_by_label("Kortnummer").fill("2077")
    page.get_by_label("Melding", exact=True).fill("HJELP")
    page.get_by_role("button", name="Send SMS").click()
    replies = page.locator(".bubble.in")
    replies.first.wait_for()  # drawn by the page's live view, no reload
    assert "2077" in replies.first.inner_text()
    shot(page, "phone", "nb")
    page.goto(f"{base}/console/phone?lang=en")
    page.locator(".bubble.in").first.wait_for()
    shot(page, "phone", "en")
