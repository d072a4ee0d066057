"""Sign-in over real HTTP: cookies and their flags, the CSRF check, wrong passwords and
lockout, the language switch, sign-out, redirects, and a member's limits."""

from __future__ import annotations

import pytest

from kodeord.domain.users import Role
from tests.console.support import PASSWORD, Browser, make_customer, make_user
from tests.support import ApiServer


def test_root_leads_to_the_console_and_an_anonymous_visit_to_sign_in(
    console: ApiServer, browser: Browser
) -> None:
    root = browser.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/console/"
    page = browser.get("/console/", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/console/sign-in?next=/console/"
    form = browser.get("/console/sign-in")
    assert form.status_code == 200 and "Logg inn" in form.text
    assert "default-src 'self'" in form.headers["content-security-policy"]
    assert form.headers["x-frame-options"] == "DENY"
    assert console.client().get("/v1/customers").status_code == 401  # the API is as it was


def test_sign_in_sets_a_guarded_session_cookie_and_sign_out_ends_it(
    console: ApiServer, browser: Browser
) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    signed_in = browser.sign_in("Kari@Drift.no")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/"
    cookie = signed_in.headers["set-cookie"]
    assert "kodeord_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/console" in cookie
    assert PASSWORD not in cookie
    overview = browser.get("/console/")
    assert overview.status_code == 200 and "Oversikt" in overview.text
    assert "kunder" in overview.text  # the provider's figures
    out = browser.post("/console/sign-out", {}, form_page="/console/")
    assert out.status_code == 303
    assert browser.get("/console/", follow_redirects=False).status_code == 303


def test_a_form_post_without_the_csrf_token_is_refused(
    console: ApiServer, browser: Browser
) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    browser.csrf("/console/sign-in")  # the visitor has its cookie
    refused = browser.http.post(
        "/console/sign-in", data={"email": "kari@drift.no", "password": PASSWORD}
    )
    assert refused.status_code == 403 and "Skjemaet er utløpt" in refused.text
    forged = browser.http.post(
        "/console/sign-in",
        data={"email": "kari@drift.no", "password": PASSWORD, "csrf": "x" * 32},
    )
    assert forged.status_code == 403 and "kodeord_session" not in forged.headers.get(
        "set-cookie", ""
    )
    browser.sign_in("kari@drift.no")
    no_token = browser.http.post("/console/sign-out", data={})
    assert no_token.status_code == 403
    assert browser.get("/console/").status_code == 200  # still signed in


def test_wrong_password_keeps_the_address_then_locks(console: ApiServer, browser: Browser) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    wrong = browser.sign_in("kari@drift.no", "feil-passord-1")
    assert wrong.status_code == 401
    assert "Feil e-postadresse eller passord." in wrong.text
    assert 'value="kari@drift.no"' in wrong.text and "feil-passord-1" not in wrong.text
    unknown = browser.sign_in("ingen@drift.no", "feil-passord-1")
    assert unknown.status_code == 401 and "Feil e-postadresse eller passord." in unknown.text
    for _ in range(3):
        browser.sign_in("kari@drift.no", "feil-passord-1")
    locked = browser.sign_in("kari@drift.no", "feil-passord-1")
    assert locked.status_code == 429 and "For mange mislykkede forsøk" in locked.text
    assert browser.sign_in("kari@drift.no").status_code == 429  # right password, still locked


def test_language_by_query_is_remembered_for_the_user(console: ApiServer, browser: Browser) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    assert "Sign in" in browser.get("/console/sign-in?lang=en").text
    assert "Sign in" in browser.get("/console/sign-in").text  # the cookie remembers
    browser.sign_in("kari@drift.no")
    assert "Overview" in browser.get("/console/").text
    other = Browser(console)  # a new browser: the user's saved choice
    other.sign_in("kari@drift.no")
    assert "Overview" in other.get("/console/").text
    assert "Oversikt" in other.get("/console/?lang=nb").text
    other.close()


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/", "/v1/customers", "/console\\x"]
)
def test_next_never_leaves_the_console(
    console: ApiServer, browser: Browser, next_path: str
) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    token = browser.csrf("/console/sign-in")
    signed = browser.http.post(
        "/console/sign-in",
        data={"csrf": token, "email": "kari@drift.no", "password": PASSWORD, "next": next_path},
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/console/"


def test_a_member_sees_its_own_overview_only(console: ApiServer, browser: Browser) -> None:
    napoli = make_customer(console, "Napoli")
    make_user(console, "ola@napoli.no", Role.MEMBER, napoli)
    browser.sign_in("ola@napoli.no")
    overview = browser.get("/console/")
    assert overview.status_code == 200 and "kunder" not in overview.text
