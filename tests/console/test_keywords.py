"""The keywords pages: search as you type with reasons, warnings and suggestions in the
user's language, lease, cancel at term end / keep renewing / end now, the history; a
member and the provider only look; another customer's keyword is not found; in a real
browser the answer follows the typing and a suggestion is leased."""

from __future__ import annotations

from typing import Any

import pytest

from kodeord.domain.users import Role
from tests.console.browser import shot
from tests.console.support import Browser, make_customer, make_user
from tests.console.test_browser_signin import sign_in
from tests.support import ApiServer


def setup(server: ApiServer) -> tuple[int, int]:
    """2077 shared, Napoli holding PIZZA (through the API), Olsen with an owner signed in."""
    admin = server.admin()
    assert admin.post(
        "/v1/numbers", json={"number": "2077", "mode": "shared", "keyword_fee_ore": 4900}
    ).is_success
    napoli, olsen = make_customer(server, "Napoli"), make_customer(server, "Olsen")
    key = admin.post(f"/v1/customers/{napoli}/api-keys").json()["key"]
    assert (
        server.client(key)
        .post("/v1/keywords", json={"number": "2077", "keyword": "PIZZA"})
        .status_code
        == 201
    )
    make_user(server, "eier@olsen.no", Role.OWNER, olsen)
    make_user(server, "eier@napoli.no", Role.OWNER, napoli)
    return napoli, olsen


@pytest.mark.parametrize(
    ("word", "available", "says"),
    [
        ("SKO", True, ["SKO er ledig", "49,00 kr i måneden"]),
        ("pizza", False, ["PIZZA er opptatt på dette nummeret."]),
        ("P1ZZA", False, ["P1ZZA ligner for mye på PIZZA, et kodeord på dette nummeret."]),
        ("PIZZAS", True, ["Nær PIZZA: folk kan skrive feil."]),
        ("STOPP", False, ["STOPP er reservert for tjenesten selv."]),
        ("ABCDEFGHIJKLMNOPQ", False, ["Bruk 1–16 bokstaver A–Å eller sifre 0–9."]),
    ],
)
def test_the_search_explains_in_the_users_language(
    console: ApiServer, browser: Browser, word: str, available: bool, says: list[str]
) -> None:
    setup(console)
    browser.sign_in("eier@olsen.no")
    answer = browser.get("/console/keywords/check", params={"number": "2077", "keyword": word})
    assert answer.status_code == 200
    found = answer.json()
    assert found["available"] is available
    shown = " ".join(
        [
            found["keyword"] + (" er ledig" if available else ""),
            found["fee"],
            *found["reasons"],
            *found["warnings"],
        ]
    )
    for text in says:
        assert text in shown, (word, found)
    assert "Napoli" not in answer.text  # never who holds it
    if word == "pizza":
        assert "PIZZA2077" in found["suggestions"]


def test_lease_cancel_keep_renewing_end_now_and_history(
    console: ApiServer, browser: Browser
) -> None:
    setup(console)
    browser.sign_in("eier@olsen.no")
    refused = browser.post(
        "/console/keywords/lease", {"number": "2077", "keyword": "pizza"}, "/console/keywords"
    )
    assert refused.status_code == 422
    assert 'id="f-keyword-error">PIZZA er opptatt på dette nummeret.' in refused.text
    assert 'value="pizza"' in refused.text and 'data-keyword="PIZZA2077"' in refused.text
    empty = browser.post(
        "/console/keywords/lease", {"number": "2077", "keyword": ""}, "/console/keywords"
    )
    assert empty.status_code == 422 and "Skriv et kodeord." in empty.text
    leased = browser.post(
        "/console/keywords/lease", {"number": "2077", "keyword": "sko"}, "/console/keywords"
    )
    assert leased.status_code == 303
    page_path = leased.headers["location"]
    page = browser.get(page_path).text
    assert "SKO på 2077" in page and "49,00 kr i måneden" in page and "leid" in page
    assert f'href="/console/routes/{page_path.rsplit("/", 1)[1]}"' in page
    assert browser.post(page_path + "/cancel", {}, page_path).status_code == 303
    page = browser.get(page_path).text
    assert "slutter ved periodens slutt" in page and "Fortsett å fornye" in page
    assert browser.post(page_path + "/uncancel", {}, page_path).status_code == 303
    assert "Si opp ved periodens slutt" in browser.get(page_path).text
    assert browser.post(page_path + "/release", {}, page_path).status_code == 303
    page = browser.get(page_path).text
    assert "avsluttet" in page and "Avslutt nå" not in page
    history = page.split("Historikk")[1]
    assert history.index("avsluttet") < history.index("oppsigelse trukket") < history.index("leid")
    listed = browser.get("/console/keywords").text
    assert "SKO" not in listed.split("Dine kodeord")[1]  # released ones leave the list
    audit = console.admin().get("/v1/admin/audit-log").json()
    assert {"keyword.lease", "keyword.change"} <= {entry["action"] for entry in audit}


def test_who_may_do_what(console: ApiServer) -> None:
    napoli, olsen = setup(console)
    pizza = console.admin().get("/v1/keywords").json()[0]["id"]
    others = Browser(console)
    others.sign_in("eier@olsen.no")
    assert others.get(f"/console/keywords/{pizza}").status_code == 404
    assert (
        others.post(f"/console/keywords/{pizza}/release", {}, "/console/keywords").status_code
        == 404
    )
    assert "PIZZA" not in others.get("/console/keywords").text.split("Dine kodeord")[1]
    make_user(console, "ansatt@napoli.no", Role.MEMBER, napoli)
    member = Browser(console)
    member.sign_in("ansatt@napoli.no")
    assert "PIZZA" in member.get(f"/console/keywords/{pizza}").text
    assert "Avslutt nå" not in member.get(f"/console/keywords/{pizza}").text
    assert (
        member.post(
            f"/console/keywords/{pizza}/release", {}, f"/console/keywords/{pizza}"
        ).status_code
        == 403
    )
    assert member.get("/console/keywords/check", params={"keyword": "X"}).status_code == 403
    make_user(console, "kari@drift.no", Role.PROVIDER)
    provider = Browser(console)
    provider.sign_in("kari@drift.no")
    assert "PIZZA" in provider.get("/console/keywords").text
    picks = [(str(napoli), True), (str(olsen), False), ("", True), ("x", True), ("99999", False)]
    for picked, shown in picks:
        listed = provider.get("/console/keywords", params={"customer": picked}).text
        assert ("PIZZA" in listed) is shown, picked
    assert provider.get("/console/keywords/check", params={"keyword": "X"}).status_code == 404
    assert console.admin().get(f"/v1/keywords/{pizza}").json()["status"] == "active"
    for client in (others, member, provider):
        client.close()


def test_in_the_browser_the_answer_follows_the_typing(console: ApiServer, page: Any) -> None:
    setup(console)
    sign_in(page, console.base_url, "eier@olsen.no")
    page.get_by_role("link", name="Kodeord").click()
    page.get_by_label("Kodeord", exact=True).press_sequentially("pizzas", delay=20)
    page.get_by_text("Nær PIZZA: folk kan skrive feil.").wait_for()
    page.get_by_label("Kodeord", exact=True).fill("pizza")
    page.get_by_text("PIZZA er opptatt på dette nummeret.").wait_for()
    shot(page, "keywords-search", "nb")
    page.get_by_role("button", name="PIZZA2077").click()
    page.get_by_text("PIZZA2077 er ledig").wait_for()
    page.get_by_role("button", name="Lei").click()
    page.get_by_role("heading", name="PIZZA2077 på 2077").wait_for()
    shot(page, "keyword", "nb")
    shot(page, "keyword", "nb", phone=True)
    page.goto(page.url + "?lang=en")
    page.get_by_text("Cancel at term end").wait_for()
    shot(page, "keyword", "en")
    page.goto(f"{console.base_url}/console/keywords")
    page.get_by_label("Keyword", exact=True).fill("pizza")
    page.get_by_text("PIZZA is taken on this number.").wait_for()
    shot(page, "keywords-search", "en")
    make_user(console, "kari@drift.no", Role.PROVIDER)
    page.context.clear_cookies()
    sign_in(page, console.base_url, "kari@drift.no")
    page.goto(f"{console.base_url}/console/keywords?lang=nb")
    page.get_by_label("Kunde").select_option(label="Napoli")
    page.get_by_role("button", name="Vis").click()
    page.get_by_role("cell", name="Napoli").wait_for()
    shot(page, "keywords-provider", "nb")
    page.goto(page.url + "&lang=en")
    page.get_by_role("button", name="Show").wait_for()
    shot(page, "keywords-provider", "en")
