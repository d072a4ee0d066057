"""The send page: many recipients typed and from a CSV file, a live preview with the
same planning as sending, a schedule in Oslo time, bad lines next to the field with what
was typed kept; messages reach the simulator phones over SMPP and the message log shows
each one's status timeline; in a real browser the preview follows the typing."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kodeord.domain.users import Role
from kodeord.web.console.send import csv_column, oslo_time, recipients
from tests.console.browser import shot
from tests.console.support import Browser, make_user
from tests.console.test_browser_signin import sign_in
from tests.conversations.support import World
from tests.support import ApiServer


@pytest.mark.parametrize(
    ("typed", "csv_text", "phones", "bad"),
    [
        ("91234567\n41234567", None, ["+4791234567", "+4741234567"], []),
        ("91234567, 91234567; +4741234567", None, ["+4791234567", "+4741234567"], []),
        ("\n\n91234567\n\n", None, ["+4791234567"], []),
        ("91234567\nhei\n123", None, ["+4791234567"], [(2, "hei"), (3, "123")]),
        ("", "navn;telefon\nOla;91234567\nKari;41234567\n", ["+4791234567", "+4741234567"], []),
        ("", "91234567\n41234567\n", ["+4791234567", "+4741234567"], []),
        ("91234567", "phone,name\n+4791234567,Ola\n", ["+4791234567"], []),
    ],
)
def test_recipients_are_read_as_typed_and_from_csv(
    typed: str, csv_text: str | None, phones: list[str], bad: list[tuple[int, str]]
) -> None:
    assert recipients(typed, csv_text) == (phones, bad)


def test_csv_and_times_edge_cases() -> None:
    assert csv_column("") == []
    assert oslo_time("") is None
    assert oslo_time("i morgen") == "Give a date and time."
    moment = oslo_time("2026-07-01T12:00")
    assert not isinstance(moment, str) and moment is not None
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 7200


def napoli_owner(server: ApiServer) -> tuple[World, Browser]:
    world = World(server)
    api = world.customer("Napoli", "PIZZA", "2077")
    make_user(
        server, "eier@napoli.no", Role.OWNER, api.get("/v1/keywords").json()[0]["customer_id"]
    )
    browser = Browser(server)
    browser.sign_in("eier@napoli.no")
    return world, browser


def test_send_to_many_reaches_the_phones_and_the_log_shows_the_timeline(
    console_with_phone: ApiServer,
) -> None:
    world, browser = napoli_owner(console_with_phone)
    preview = browser.get(
        "/console/send/preview", params={"number": "2077", "text": "Hei", "count": 3}
    )
    assert preview.json()["summary"] == "GSM 7-bit · 1 SMS · 0,00 kr hver · 0,00 kr for 3"
    long = browser.get("/console/send/preview", params={"number": "2077", "text": "ø" * 161})
    assert "2 SMS" in long.json()["summary"]
    emoji = browser.get("/console/send/preview", params={"number": "2077", "text": "Hei 🍕"})
    assert emoji.json()["summary"].startswith("Unicode (UCS-2) · 1 SMS")
    token = browser.csrf("/console/send")
    files = {"csv": ("kunder.csv", b"navn,telefon\nOla,41234567\n", "text/csv")}
    data = {
        "csrf": token,
        "from": "2077",
        "to": "91234567\n92345678",
        "text": "Fredagstilbud!",
        "send_at": "",
    }
    sent = browser.http.post("/console/send", data=data, files=files)
    assert sent.status_code == 201, sent.text
    assert "3 meldinger lagt i kø" in sent.text
    for phone in ("+4791234567", "+4792345678", "+4741234567"):
        assert world.received(phone, 1)[0].text == "Fredagstilbud!"
    log = browser.get("/console/log?direction=outbound").text
    assert log.count("Fredagstilbud!") == 3
    first = browser.get("/console/log").text.split('href="/console/log/')[1].split('"')[0]
    deadline = time.monotonic() + 10
    while "levert" not in (detail := browser.get(f"/console/log/{first}").text):
        assert time.monotonic() < deadline, detail
        time.sleep(0.1)
    assert "tatt imot" in detail and "sendt" in detail
    browser.close()


def test_bad_input_is_shown_next_to_the_field_and_kept(console_with_phone: ApiServer) -> None:
    world, browser = napoli_owner(console_with_phone)
    cases = [
        ({"to": "91234567\nhei", "text": "Hei"}, "to", "Ikke telefonnumre: linje 2: hei"),
        ({"to": "", "text": "Hei"}, "to", "Skriv minst ett telefonnummer."),
        ({"to": "91234567", "text": ""}, "text", "Skriv en melding."),
        ({"to": "91234567", "text": "x" * 1600}, "text", "Meldingen er for lang (høyst 10 SMS)."),
        (
            {"to": "91234567", "text": "Hei", "send_at": "2020-01-01T10:00"},
            "send_at",
            "Det tidspunktet er passert.",
        ),
        ({"to": "91234567", "text": "Hei", "from": "9999"}, "from", "Velg et av numrene dine."),
    ]
    for typed, field, says in cases:
        page = browser.post("/console/send", {"from": "2077", "send_at": "", **typed})
        assert page.status_code == 422, (typed, page.text)
        assert f'id="f-{field}-error">{says}' in page.text, (typed, page.text)
        if typed["text"]:
            assert f">{typed['text']}</textarea>" in page.text
    assert world.simulator.phones.messages("+4791234567") == []
    browser.close()


def test_a_customer_cannot_read_anothers_message(console_with_phone: ApiServer) -> None:
    world, napoli = napoli_owner(console_with_phone)
    sent = napoli.post(
        "/console/send", {"from": "2077", "to": "91234567", "text": "Hei", "send_at": ""}
    )
    assert sent.status_code == 201
    message_id = napoli.get("/console/log").text.split('href="/console/log/')[1].split('"')[0]
    olsen_api = world.customer("Olsen", "SKO", "2077")
    make_user(
        console_with_phone,
        "eier@olsen.no",
        Role.OWNER,
        olsen_api.get("/v1/keywords").json()[0]["customer_id"],
    )
    olsen = Browser(console_with_phone)
    olsen.sign_in("eier@olsen.no")
    assert olsen.get(f"/console/log/{message_id}").status_code == 404
    assert "Hei" not in olsen.get("/console/log").text
    assert olsen.get("/console/log/99999999999999999999").status_code in (404, 422)
    for client in (napoli, olsen):
        client.close()


def test_in_the_browser_the_preview_follows_the_typing(
    console_with_phone: ApiServer, page: Any
) -> None:
    _world, http = napoli_owner(console_with_phone)
    http.close()
    sign_in(page, console_with_phone.base_url, "eier@napoli.no")
    page.get_by_role("link", name="Send", exact=True).click()
    page.get_by_label("Til", exact=True).fill("91234567\n41234567")
    page.get_by_label("Melding").fill("Hei på deg 🍕")
    page.get_by_text("Unicode (UCS-2) · 1 SMS").wait_for()
    assert "for 2" in page.locator("#preview").inner_text()
    shot(page, "send", "nb")
    shot(page, "send", "nb", phone=True)
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("2 meldinger lagt i kø").wait_for()
    page.get_by_role("link", name="Meldingslogg").first.click()
    shot(page, "log", "nb")
    page.locator("table.log a").first.click()
    shot(page, "log-message", "nb")
    page.goto(page.url + "?lang=en")
    shot(page, "log-message", "en")
    page.goto(f"{console_with_phone.base_url}/console/log")
    shot(page, "log", "en")
    page.goto(f"{console_with_phone.base_url}/console/send")
    page.get_by_label("Message").fill("Hello")
    page.get_by_text("GSM 7-bit").wait_for()
    shot(page, "send", "en")
