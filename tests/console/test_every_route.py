"""Rules that hold for every console route, today's and tomorrow's (read from the areas'
routers, so a new page is checked without being listed): a visitor is sent to sign-in
from every page but the sign-in ones, and no form post without its CSRF token does
anything — signed in or not, customer or provider."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from kodeord.domain.users import Role
from kodeord.web.console import AREAS
from tests.console.support import Browser, make_customer, make_user
from tests.support import ApiServer

PUBLIC = {
    "/console/sign-in",
    "/console/forgot",
    "/console/invite/{token}",
    "/console/reset/{token}",
}
SAMPLES = {"number": "2077", "digits": "4791234567", "token": "t" * 32}
_PARAM = re.compile(r"\{(\w+)\}")


def routes(method: str) -> list[str]:
    found = {
        route.path
        for router in AREAS
        for route in router.routes
        if isinstance(route, APIRoute) and method in route.methods
    }
    return sorted(found)


def sample(path: str) -> str:
    return _PARAM.sub(lambda m: SAMPLES.get(m.group(1), "1"), path)


def test_the_routers_are_read() -> None:
    assert "/console/sign-in" in routes("POST") and "/console/inbox" in routes("GET")


def test_a_visitor_is_sent_to_sign_in_from_every_page(console: ApiServer) -> None:
    visitor = Browser(console)
    for method in ("GET", "POST"):
        for path in routes(method):
            if path in PUBLIC or path == "/console/sign-out":
                continue
            answer = visitor.http.request(method, sample(path))
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/console/sign-in?next="), path
    visitor.close()


@pytest.mark.parametrize("role", [Role.OWNER, Role.MEMBER, Role.PROVIDER, None])
def test_no_post_without_its_csrf_token_does_anything(
    console: ApiServer, role: Role | None
) -> None:
    client = Browser(console)
    if role is not None:
        customer = None if role is Role.PROVIDER else make_customer(console, "Napoli")
        make_user(console, "bruker@napoli.no", role, customer)
        client.sign_in("bruker@napoli.no")
    posts = [p for p in routes("POST") if role is not None or p in PUBLIC]
    assert posts
    for path in posts:
        for data in ({}, {"csrf": "not-the-token"}):
            answer = client.http.post(sample(path), data=data)
            assert answer.status_code == 403, (role, path, data, answer.status_code)
            assert "Skjemaet er utløpt" in answer.text, path
    if role is not None:
        assert client.get("/console/").status_code == 200  # still signed in: nothing ran
    client.close()


def test_after_a_post_the_language_link_leads_to_the_forms_page(console: ApiServer) -> None:
    make_user(console, "eier@napoli.no", Role.OWNER, make_customer(console, "Napoli"))
    client = Browser(console)
    client.sign_in("eier@napoli.no")
    token = client.csrf("/console/team")
    base = console.base_url
    cases = [
        ({"Referer": f"{base}/console/team"}, 'href="/console/team?lang=en"'),
        ({"Referer": "https://evil.example/console/team"}, 'href="/console/?lang=en"'),
        ({}, 'href="/console/?lang=en"'),
    ]
    for headers, link in cases:
        refused = client.http.post(
            "/console/team/invite", data={"csrf": token, "email": "ola"}, headers=headers
        )
        assert refused.status_code == 422 and link in refused.text, headers
    assert 'href="?lang=en"' in client.get("/console/team").text
    assert client.get("/console/team?lang=en").status_code == 200
    client.close()
