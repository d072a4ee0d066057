"""Cancelling a scheduled MT and per-key sending limits, on real sockets: the HTTP API,
the job worker, SMPP to the operator simulator, a real webhook receiver. SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from kodeord.adapters.queue import JobQueue, NewJob
from kodeord.adapters.queue.schema import jobs
from kodeord.config import Settings, SettingsError
from kodeord.domain.ratelimit import Limit
from kodeord.wiring import GatewayOptions
from tests.conftest import ADMIN_TOKEN
from tests.inbound.test_inbound_e2e import World
from tests.outbound.test_outbound_e2e import FAST_RETRY, PHONE, _sender, _wait_status
from tests.outbound.test_outbound_e2e import world as world  # the same fixture
from tests.queue.support import FakeClock, run_with_database
from tests.support import ApiServer, WebhookReceiver


def _later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _error(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def test_a_cancelled_scheduled_message_is_never_sent_and_its_callback_says_so(
    world: World,
) -> None:
    with WebhookReceiver() as receiver:
        client, _ = _sender(world)
        body = {
            "from": "2077",
            "to": PHONE,
            "text": "Senere",
            "send_at": _later(1.5),
            "callback_url": receiver.url,
        }
        kept = client.post("/v1/messages", json=body | {"text": "Denne kommer"}).json()
        accepted = client.post("/v1/messages", json=body).json()
        cancelled = client.post(f"/v1/messages/{accepted['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert [h["status"] for h in cancelled.json()["history"]] == ["queued", "cancelled"]
        (_headers, raw), *_ = receiver.wait_for(1)
        assert json.loads(raw)["status"] == "cancelled"
        assert json.loads(raw)["id"] == f"msg_{accepted['id']}"
        _wait_status(client, kept["id"], "delivered")  # send_at has passed: the other went
        assert [m.text for m in world.simulator.phones.messages(PHONE)] == ["Denne kommer"]
        again = client.post(f"/v1/messages/{accepted['id']}/cancel")
        assert _error(again) == (409, "not_cancellable")
        sent = client.post(f"/v1/messages/{kept['id']}/cancel")
        assert _error(sent) == (409, "not_cancellable")
        assert sent.json()["error"]["message_status"] == "delivered"
        detail = client.get(f"/v1/messages/{accepted['id']}").json()
        assert detail["status"] == "cancelled" and detail["parts"] == []


def test_only_its_customer_or_the_admin_can_cancel_a_message(world: World) -> None:
    client, _ = _sender(world)
    other = world.customer("Konkurrenten AS")
    body = {"from": "2077", "to": PHONE, "text": "Senere", "send_at": _later(3600)}
    first = client.post("/v1/messages", json=body).json()
    second = client.post("/v1/messages", json=body).json()
    cases = [
        (other.post(f"/v1/messages/{first['id']}/cancel"), 404, "message_not_found"),
        (client.post("/v1/messages/999999/cancel"), 404, "message_not_found"),
        (client.post("/v1/messages/0/cancel"), 422, "validation_error"),
        (client.post(f"/v1/messages/{2**63}/cancel"), 422, "validation_error"),
    ]
    for answer, status, code in cases:
        assert _error(answer) == (status, code), answer.url
    assert client.get(f"/v1/messages/{first['id']}").json()["status"] == "queued"
    assert client.post(f"/v1/messages/{first['id']}/cancel").json()["status"] == "cancelled"
    by_admin = world.admin.post(f"/v1/messages/{second['id']}/cancel")
    assert by_admin.status_code == 200 and by_admin.json()["status"] == "cancelled"
    # an inbound message is not an MT to cancel
    world.send("PIZZA hei")
    inbound = world.wait_messages(client, 1, direction="inbound")[0]
    assert _error(client.post(f"/v1/messages/{inbound['id']}/cancel")) == (
        404,
        "message_not_found",
    )


def test_a_message_whose_sending_has_begun_cannot_be_cancelled(database_url: str) -> None:
    """No operator link: the send job is claimed, finds no link and waits to retry; the
    message is still `queued`, but its sending has begun."""
    options = GatewayOptions(webhook_allow_private=True, retry_policy=FAST_RETRY)
    with ApiServer(database_url, ADMIN_TOKEN, options) as api:
        admin = api.admin()
        assert admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"}).is_success
        world = World(api, None)  # type: ignore[arg-type]
        client, _ = _sender(world)
        accepted = client.post("/v1/messages", json={"from": "2077", "to": PHONE, "text": "x"})
        message_id = accepted.json()["id"]

        async def attempts() -> int:
            async with api.gateway.ctx.storage.db.read() as conn:
                query = select(jobs.c.attempts).where(jobs.c.dedupe_key == f"mt:{message_id}")
                return int((await conn.execute(query)).scalar_one())

        deadline = time.monotonic() + 10
        while api.call(attempts()) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert api.call(attempts()) >= 1
        refused = client.post(f"/v1/messages/{message_id}/cancel")
        assert _error(refused) == (409, "not_cancellable")
        assert "being sent" in refused.json()["error"]["message"]
        assert client.get(f"/v1/messages/{message_id}").json()["status"] == "queued"


def test_a_claim_and_a_withdrawal_of_one_job_never_both_win(database_url: str) -> None:
    """Two nodes: one claims send jobs while another withdraws (cancels) them; each job
    is either claimed or withdrawn, never both, whatever the interleaving."""

    async def scenario(db: Any) -> None:
        clock = FakeClock()
        worker, canceller = JobQueue(db, clock), JobQueue(db, clock)
        keys = [f"mt:{n}" for n in range(40)]
        news = [NewJob("send_mt", {"message_id": n}, dedupe_key=k) for n, k in enumerate(keys)]
        await db.write(lambda conn: worker.enqueue_many(conn, news))

        async def withdraw(key: str) -> bool:
            return await db.write(lambda conn: canceller.withdraw(conn, key, "cancelled"))

        async def claim_all() -> list[Any]:
            claimed = []
            for _ in range(8):
                claimed += await worker.claim(["send_mt"], 5, 30, "node-a")
                await asyncio.sleep(0)
            return claimed

        claimed, *withdrawn = await asyncio.gather(claim_all(), *map(withdraw, keys))
        claimed_keys = {job.dedupe_key for job in claimed}
        withdrawn_keys = {key for key, won in zip(keys, withdrawn, strict=True) if won}
        assert not claimed_keys & withdrawn_keys
        assert claimed_keys | withdrawn_keys == set(keys)
        assert await worker.claim(["send_mt"], 100, 30, "node-a") == []  # none left to run
        for job in claimed:  # a claimed job cannot be withdrawn any more
            assert not await withdraw(str(job.dedupe_key))
        await worker.stop()
        await canceller.stop()

    run_with_database(database_url, scenario)


# --- sending limits ---------------------------------------------------------------------


def _limited_world(database_url: str, limit: Limit) -> ApiServer:
    return ApiServer(database_url, ADMIN_TOKEN, send_limit=limit)


def _outbound(client: httpx.Client) -> list[dict[str, Any]]:
    return list(client.get("/v1/messages", params={"direction": "outbound", "limit": 500}).json())


def _setup_sender(api: ApiServer) -> tuple[World, httpx.Client, int]:
    admin = api.admin()
    assert admin.post("/v1/numbers", json={"number": "2077", "mode": "shared"}).is_success
    world = World(api, None)  # type: ignore[arg-type]
    client, _ = _sender(world)
    customer_id = admin.get("/v1/customers").json()[-1]["id"]
    return world, client, customer_id


def _batch(count: int, start: int = 0) -> dict[str, Any]:
    return {"from": "2077", "text": "Tilbud", "to": [f"+479{n:07d}" for n in range(start, count)]}


def test_over_the_keys_limit_is_429_with_retry_after_and_nothing_queued(
    database_url: str,
) -> None:
    with _limited_world(database_url, Limit(rate=0.01, burst=5)) as api:
        world, client, customer_id = _setup_sender(api)
        bad = _batch(5) | {"to": [*_batch(4)["to"], "nope"]}
        assert _error(client.post("/v1/messages/batch", json=bad)) == (422, "invalid_recipient")
        assert client.post("/v1/messages/batch", json=_batch(5)).status_code == 202  # refunded
        limited = client.post("/v1/messages", json={"from": "2077", "to": PHONE, "text": "x"})
        assert _error(limited) == (429, "rate_limited")
        retry_after = int(limited.headers["Retry-After"])
        assert 1 <= retry_after <= 100 and limited.json()["error"]["retry_after"] == retry_after
        assert _error(client.post("/v1/messages/batch", json=_batch(6))) == (
            422,
            "batch_over_burst",
        )
        assert len(_outbound(client)) == 5
        # another key of the same customer has a bucket of its own
        key = world.admin.post(f"/v1/customers/{customer_id}/api-keys").json()["key"]
        second = api.client(key)
        assert second.post("/v1/messages/batch", json=_batch(10, 5)).status_code == 202
        assert len(_outbound(client)) == 10


def test_the_admin_sets_a_customers_limit_and_it_applies_at_once(database_url: str) -> None:
    with _limited_world(database_url, Limit(rate=0.01, burst=5)) as api:
        world, client, customer_id = _setup_sender(api)
        limits = f"/v1/customers/{customer_id}/limits"
        default = world.admin.get(limits).json()
        assert default == {
            "customer_id": customer_id,
            "send_rate_per_second": 0.01,
            "send_burst": 5,
            "own_rate": False,
            "own_burst": False,
        }
        changed = world.admin.put(limits, json={"send_burst": 20})
        assert changed.status_code == 200 and changed.json()["send_burst"] == 20
        assert changed.json()["own_burst"] and not changed.json()["own_rate"]
        assert client.post("/v1/messages/batch", json=_batch(20)).status_code == 202
        assert _error(client.post("/v1/messages/batch", json=_batch(21, 20))) == (
            429,
            "rate_limited",
        )
        # the customer's own settings do not touch the admin's limit (one row holds both)
        assert client.put("/v1/settings", json={"session_window_minutes": 60}).is_success
        assert world.admin.get(limits).json()["send_burst"] == 20
        cases = [
            (world.admin.put(limits, json={"send_burst": 0}), 422, "validation_error"),
            (world.admin.put(limits, json={"send_rate_per_second": -1}), 422, "validation_error"),
            (world.admin.put("/v1/customers/999/limits", json={}), 404, "customer_not_found"),
            (world.admin.get("/v1/customers/0/limits"), 422, "validation_error"),
            (client.put(limits, json={"send_burst": 10**6}), 403, "admin_only"),
        ]
        for answer, status, code in cases:
            assert _error(answer) == (status, code), answer.request.content
        reset = world.admin.put(limits, json={})
        assert reset.json()["send_burst"] == 5 and not reset.json()["own_burst"]


def test_with_the_default_limit_a_batch_of_1000_passes(database_url: str) -> None:
    with ApiServer(database_url, ADMIN_TOKEN) as api:
        _world, client, _ = _setup_sender(api)
        for start in (0, 1000):
            answer = client.post("/v1/messages/batch", json=_batch(start + 1000, start))
            assert answer.status_code == 202, answer.text
        limited = client.post("/v1/messages/batch", json=_batch(3000, 2000))
        assert _error(limited) == (429, "rate_limited")
        assert 1 <= int(limited.headers["Retry-After"]) <= 10


@pytest.mark.parametrize(
    ("rate", "burst", "expected"),
    [
        (None, None, Limit(100.0, 2000)),
        ("2.5", "50", Limit(2.5, 50)),
        ("1000000", "1000000", Limit(1e6, 10**6)),
        ("0", None, "KODEORD_SEND_RATE"),
        ("-1", None, "KODEORD_SEND_RATE"),
        ("nan", None, "KODEORD_SEND_RATE"),
        ("fast", None, "KODEORD_SEND_RATE"),
        (None, "0", "KODEORD_SEND_BURST"),
        (None, "1.5", "KODEORD_SEND_BURST"),
        (None, "1000001", "KODEORD_SEND_BURST"),
    ],
)
def test_the_default_sending_limit_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, rate: str | None, burst: str | None, expected: Any
) -> None:
    for name, value in (("KODEORD_SEND_RATE", rate), ("KODEORD_SEND_BURST", burst)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    if isinstance(expected, Limit):
        assert Settings.load(simulator=False).send_limit == expected
        return
    with pytest.raises(SettingsError, match=expected):
        Settings.load(simulator=False)
