"""Sign-in in a real browser (Debian's chromium through Playwright): a wrong password,
the lockout, the nb/en switch, sign-in and sign-out; screenshots of each page."""

from __future__ import annotations

from typing import Any

from kodeord.domain.users import Role
from tests.console.browser import shot
from tests.console.support import PASSWORD, make_customer, make_user
from tests.support import ApiServer


def sign_in(page: Any, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/console/sign-in")
    page.get_by_label("E-postadresse").fill(email)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()


def test_wrong_password_lockout_and_the_language_switch(console: ApiServer, page: Any) -> None:
    base = console.base_url
    make_user(console, "kari@drift.no", Role.PROVIDER)
    page.goto(f"{base}/")
    assert page.url == f"{base}/console/sign-in?next=/console/"
    shot(page, "sign-in", "nb")
    sign_in(page, base, "kari@drift.no", "feil-passord-1")
    alert = page.get_by_role("alert")
    assert alert.inner_text() == "Feil e-postadresse eller passord."
    assert page.get_by_label("E-postadresse").input_value() == "kari@drift.no"
    assert page.get_by_label("Passord").input_value() == ""
    shot(page, "sign-in-wrong-password", "nb")
    for _ in range(4):
        sign_in(page, base, "kari@drift.no", "feil-passord-1")
    assert "For mange mislykkede forsøk" in page.get_by_role("alert").inner_text()
    shot(page, "sign-in-locked", "nb")
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", name="Sign in").is_visible()
    shot(page, "sign-in", "en")
    page.get_by_role("link", name="Forgot your password?").click()
    shot(page, "forgot", "en")
    page.get_by_role("link", name="Norsk").click()
    shot(page, "forgot", "nb")


def test_sign_in_see_the_overview_and_sign_out(console: ApiServer, page: Any) -> None:
    base = console.base_url
    napoli = make_customer(console, "Pizzeria Napoli")
    make_user(console, "eier@napoli.no", Role.OWNER, napoli)
    sign_in(page, base, "eier@napoli.no")
    assert page.get_by_role("heading", name="Oversikt").is_visible()
    assert page.get_by_text("eier@napoli.no").is_visible()
    shot(page, "overview", "nb")
    shot(page, "overview", "nb", phone=True)
    page.goto(f"{base}/console/?lang=en")
    assert page.get_by_role("heading", name="Overview").is_visible()
    shot(page, "overview", "en")
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("heading", name="Sign in").is_visible()
    page.goto(f"{base}/console/")
    assert "/console/sign-in" in page.url
