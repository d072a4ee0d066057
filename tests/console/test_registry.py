"""The provider's registry pages: dead letters (a webhook that kept answering 500 until
its job ran out of retries) replayed one by one or all at once, and delivered once the
receiver answers 200; customer users do not find the pages; a post without its CSRF token
is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kodeord.domain.retry import RetryPolicy
from kodeord.domain.users import Role
from tests.console.browser import shot
from tests.console.conftest import wait_bound
from tests.console.support import ADMIN_TOKEN, Browser, console_options, make_customer, make_user
from tests.console.test_browser_signin import sign_in
from tests.support import ApiServer, WebhookReceiver

# gives up after about a second: the job is a dead letter while the test waits
FAST_RETRY = RetryPolicy(first_delay=0.2, factor=2.0, max_delay=0.4, give_up_after=1.0, jitter=0)
PHONE = "4791234567"


@pytest.fixture
def gateway(database_url: str) -> Iterator[ApiServer]:
    """A gateway with the operator simulator, 2077 and PIZZA of Napoli, quick to give up."""
    options = console_options(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options, simulator=True) as server:
        number = {"number": "2077", "mode": "shared", "keyword_fee_ore": 1000}
        assert server.admin().post("/v1/numbers", json=number).status_code == 201
        wait_bound(server)
        make_user(server, "kari@drift.no", Role.PROVIDER)
        yield server


def route_to(server: ApiServer, receiver: WebhookReceiver, name: str, keyword: str) -> None:
    """A customer `name` leasing `keyword` on 2077, routed to `receiver`."""
    customer_id = make_customer(server, name)
    key = server.admin().post(f"/v1/customers/{customer_id}/api-keys").json()["key"]
    client = server.client(key)
    client.post("/v1/signing-secret")
    lease = client.post("/v1/keywords", json={"number": "2077", "keyword": keyword})
    assert lease.status_code == 201, lease.text
    route = {"type": "webhook", "url": receiver.url}
    set_route = client.put(f"/v1/keywords/{lease.json()['id']}/route", json=route)
    assert set_route.status_code == 200, set_route.text


def text(server: ApiServer, words: str) -> None:
    assert server.simulator is not None
    simulator = server.simulator

    async def inject() -> None:
        simulator.send_mo(PHONE, "2077", words)

    server.call(inject())


def dead_letters(server: ApiServer, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found: list[dict[str, Any]] = server.admin().get("/v1/admin/dead-letters").json()
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{len(found)} of {count} dead letters")


def test_a_dead_letter_is_replayed_in_the_browser_and_delivered(
    gateway: ApiServer, page: Any
) -> None:
    with WebhookReceiver(status=500) as receiver:
        route_to(gateway, receiver, "Napoli", "PIZZA")
        text(gateway, "PIZZA en stor")
        (dead,) = dead_letters(gateway, 1)
        assert dead["attempts"] >= 2 and "500" in (dead["last_error"] or "")
        sign_in(page, gateway.base_url, "kari@drift.no")
        for lang in ("nb", "en"):
            page.goto(f"{gateway.base_url}/console/provider/dead-letters?lang={lang}")
            shot(page, "dead-letters", lang)
        shot(page, "dead-letters", "en", phone=True)
        row = page.locator(f"#job-{dead['id']}")
        assert "500" in row.inner_text()
        receiver.status = 200
        row.get_by_role("button", name=f"Replay job {dead['id']}").click()
        page.get_by_text(f"Job {dead['id']} is queued again.").wait_for()
        audit = gateway.admin().get("/v1/admin/audit-log", params={"action": "replay"}).json()
        assert [entry["target"] for entry in audit] == [f"job_id:{dead['id']}"]
        ((_, body),) = receiver.wait_for(1)
        assert json.loads(body)["text"] == "PIZZA en stor"
        assert gateway.admin().get("/v1/admin/dead-letters").json() == []
        page.goto(f"{gateway.base_url}/console/provider/dead-letters?lang=nb")
        assert page.get_by_text("Ingen døde jobber").is_visible()


def test_replay_all_queues_every_dead_letter_again(gateway: ApiServer) -> None:
    with WebhookReceiver(status=500) as receiver:
        route_to(gateway, receiver, "Napoli", "PIZZA")
        route_to(gateway, receiver, "Roma", "PASTA")
        text(gateway, "PIZZA margherita")
        text(gateway, "PASTA carbonara")
        dead_letters(gateway, 2)
        browser = Browser(gateway)
        browser.sign_in("kari@drift.no")
        listed = browser.get("/console/provider/dead-letters")
        assert "Spill av alle på nytt (2)" in listed.text and listed.text.count("<tr id=") == 2
        receiver.status = 200
        replayed = browser.post(
            "/console/provider/dead-letters/replay", {}, "/console/provider/dead-letters"
        )
        assert replayed.status_code == 200 and "2 jobber står i kø igjen." in replayed.text
        texts = {json.loads(body)["text"] for _, body in receiver.wait_for(2)}
        assert texts == {"PASTA carbonara", "PIZZA margherita"}
        audit = gateway.admin().get("/v1/admin/audit-log", params={"action": "replay"}).json()
        assert len(audit) == 1 and "user:" in audit[0]["actor"]
        browser.close()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/console/provider/dead-letters"),
        ("post", "/console/provider/dead-letters/replay"),
        ("post", "/console/provider/dead-letters/1/replay"),
    ],
)
@pytest.mark.parametrize("role", [Role.OWNER, Role.MEMBER])
def test_customer_users_do_not_find_the_pages(
    console: ApiServer, browser: Browser, method: str, path: str, role: Role
) -> None:
    make_user(console, "ola@napoli.no", role, make_customer(console, "Napoli"))
    browser.sign_in("ola@napoli.no")
    answer = browser.get(path) if method == "get" else browser.post(path, {}, "/console/")
    assert answer.status_code == 404
    assert "/console/provider/dead-letters" not in browser.get("/console/").text  # not in the menu


def test_the_provider_sees_the_menu_entry_and_an_empty_list(
    console: ApiServer, browser: Browser
) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    browser.sign_in("kari@drift.no")
    assert 'href="/console/provider/dead-letters"' in browser.get("/console/").text
    assert "Ingen døde jobber" in browser.get("/console/provider/dead-letters").text


def test_a_replay_of_a_job_that_is_not_dead_is_not_found(
    console: ApiServer, browser: Browser
) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    browser.sign_in("kari@drift.no")
    answer = browser.post(
        "/console/provider/dead-letters/999/replay", {}, "/console/provider/dead-letters"
    )
    assert answer.status_code == 404 and "ikke (lenger) død" in answer.text


@pytest.mark.parametrize(
    "path", ["/console/provider/dead-letters/replay", "/console/provider/dead-letters/1/replay"]
)
def test_a_post_without_csrf_is_refused(console: ApiServer, browser: Browser, path: str) -> None:
    make_user(console, "kari@drift.no", Role.PROVIDER)
    browser.sign_in("kari@drift.no")
    assert browser.http.post(path, data={}).status_code == 403
