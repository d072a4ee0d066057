"""The team page: an owner invites a member (the link shown when no SMTP is set, or
mailed through a real relay), the invitee chooses a password and signs in; members cannot
invite; bad addresses get a message next to the field with what was typed kept."""

from __future__ import annotations

import re

import pytest

from kodeord.domain.users import Role
from tests.console.support import Browser, make_customer, make_user
from tests.support import ApiServer


def test_an_owner_invites_a_member_who_joins_by_the_link(
    console: ApiServer, browser: Browser
) -> None:
    napoli = make_customer(console, "Napoli")
    make_user(console, "eier@napoli.no", Role.OWNER, napoli)
    browser.sign_in("eier@napoli.no")
    invited = browser.post(
        "/console/team/invite", {"email": "Ola@Napoli.no", "role": "member"}, "/console/team"
    )
    assert invited.status_code == 201
    assert "ola@napoli.no er invitert" in invited.text and "sender ikke e-post" in invited.text
    link = re.search(r"http://[^<\s]+/console/invite/[\w-]+", invited.text)
    assert link
    newcomer = Browser(console)
    path = link.group(0).split("127.0.0.1", 1)[1].split("/", 1)[1]
    form = newcomer.get("/" + path)
    assert form.status_code == 200 and "For ola@napoli.no." in form.text
    differ = newcomer.post("/" + path, {"password": "olas-passord-1", "repeat": "olas-passord-2"})
    assert differ.status_code == 422 and "De to passordene er ulike." in differ.text
    short = newcomer.post("/" + path, {"password": "kort", "repeat": "kort"})
    assert short.status_code == 422 and "Bruk minst 10 tegn." in short.text
    joined = newcomer.post("/" + path, {"password": "olas-passord-1", "repeat": "olas-passord-1"})
    assert joined.status_code == 303
    assert "Oversikt" in newcomer.get("/console/").text
    team = newcomer.get("/console/team")
    assert "ola@napoli.no" in team.text and "Inviter noen" not in team.text  # a member
    refused = newcomer.post("/console/team/invite", {"email": "x@napoli.no"}, "/console/team")
    assert refused.status_code == 403
    assert newcomer.get("/" + path).status_code == 404  # the link worked once
    newcomer.close()


@pytest.mark.parametrize(
    ("email", "says"),
    [
        ("", "Skriv en e-postadresse."),
        ("ola", "Det er ikke en e-postadresse."),
        ("eier@napoli.no", "Den adressen har allerede en konto."),
    ],
)
def test_bad_addresses_are_explained_next_to_the_field(
    console: ApiServer, browser: Browser, email: str, says: str
) -> None:
    napoli = make_customer(console, "Napoli")
    make_user(console, "eier@napoli.no", Role.OWNER, napoli)
    browser.sign_in("eier@napoli.no")
    page = browser.post("/console/team/invite", {"email": email, "role": "owner"}, "/console/team")
    assert page.status_code == 422
    assert f'<p class="error" id="f-email-error">{says}</p>' in page.text
    assert f'value="{email}"' in page.text and 'value="owner" selected' in page.text


def test_the_team_lists_only_the_own_customer(console: ApiServer, browser: Browser) -> None:
    napoli, roma = make_customer(console, "Napoli"), make_customer(console, "Roma")
    make_user(console, "eier@napoli.no", Role.OWNER, napoli)
    make_user(console, "eier@roma.no", Role.OWNER, roma)
    browser.sign_in("eier@napoli.no")
    page = browser.get("/console/team")
    assert "eier@napoli.no" in page.text and "eier@roma.no" not in page.text
