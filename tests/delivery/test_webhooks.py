"""WebhookSender against a real HTTP(S) receiver on 127.0.0.1: Standard Webhooks
signatures checked with the `standardwebhooks` library, outcomes of every kind of
answer and failure, keep-alive, and connecting to the address we resolved and checked."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from kodeord import __version__
from kodeord.adapters.delivery import DeliveryOutcome
from kodeord.adapters.webhooks import Resolver, WebhookSender
from kodeord.domain.signing import new_signing_secret
from tests.delivery.peers import (
    Certificate,
    async_test,
    http_receiver,
    make_certificate,
    refusing_port,
)

SECRET = new_signing_secret(bytes(range(32)))
PAYLOAD = {"type": "sms.received", "from": "+4741234567", "text": "BLÅBÆR ønsker 🍓"}


def now() -> datetime:
    return datetime.now(UTC)  # verify() accepts only timestamps within 5 minutes


def fixed_resolver(
    table: dict[str, list[str]], calls: list[tuple[str, int]] | None = None
) -> Resolver:
    """A resolver answering from `table` (unknown names: not found), recording calls."""

    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append((host, port))
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


# --- signing -------------------------------------------------------------------------


@async_test
async def test_a_delivery_is_signed_per_standard_webhooks_and_verifies() -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            outcome = await sender.send(receiver.url(), SECRET, "msg_1", PAYLOAD, timestamp=now())
        assert (outcome.ok, outcome.status_code, outcome.error, outcome.retryable) == (
            True,
            200,
            None,
            False,
        )
        assert outcome.duration_ms > 0
        [request] = receiver.received
    assert Webhook(SECRET).verify(request.body, request.headers) == PAYLOAD
    assert request.body == json.dumps(PAYLOAD, separators=(",", ":"), ensure_ascii=False).encode()
    assert "BLÅBÆR ønsker 🍓".encode() in request.body  # raw UTF-8, not \\u escapes
    assert request.headers["webhook-id"] == "msg_1"
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == f"Kodeord/{__version__}"


@async_test
async def test_a_retry_carries_the_same_webhook_id_and_a_fresh_signature() -> None:
    first, second = now(), now() + timedelta(seconds=5)
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            for timestamp in (first, second):
                await sender.send(receiver.url(), SECRET, "msg_2", PAYLOAD, timestamp=timestamp)
        one, two = receiver.received
    assert one.headers["webhook-id"] == two.headers["webhook-id"] == "msg_2"
    assert int(two.headers["webhook-timestamp"]) - int(one.headers["webhook-timestamp"]) == 5
    assert one.headers["webhook-signature"] != two.headers["webhook-signature"]
    for request in (one, two):
        assert Webhook(SECRET).verify(request.body, request.headers) == PAYLOAD


@async_test
async def test_the_timestamp_is_unix_seconds_whatever_the_time_zone() -> None:
    oslo_summer = timezone(timedelta(hours=2))
    timestamp = now().astimezone(oslo_summer).replace(microsecond=999_999)
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            await sender.send(receiver.url(), SECRET, "msg_3", PAYLOAD, timestamp=timestamp)
        [request] = receiver.received
    assert request.headers["webhook-timestamp"] == str(int(timestamp.timestamp()))
    assert Webhook(SECRET).verify(request.body, request.headers) == PAYLOAD


@pytest.mark.parametrize(
    ("secret", "webhook_id", "timestamp"),
    [
        ("not-a-secret", "msg_1", now()),
        (SECRET, "msg 1", now()),
        (SECRET, "", now()),
        (SECRET, "msg_1", datetime(2025, 6, 1, 12, 0)),  # naive
    ],
    ids=["bad-secret", "space-in-id", "empty-id", "naive-timestamp"],
)
@async_test
async def test_caller_bugs_raise_before_anything_is_sent(
    secret: str, webhook_id: str, timestamp: datetime
) -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            with pytest.raises(ValueError):
                await sender.send(receiver.url(), secret, webhook_id, PAYLOAD, timestamp=timestamp)
        assert receiver.received == []


# --- outcomes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "ok", "status", "error", "retryable"),
    [
        ("/status/200", True, 200, None, False),
        ("/status/202", True, 202, None, False),
        ("/status/204", True, 204, None, False),
        ("/status/301", False, 301, "HTTP 301", True),
        ("/status/302", False, 302, "HTTP 302", True),
        ("/status/307", False, 307, "HTTP 307", True),
        ("/status/400", False, 400, "HTTP 400", True),
        ("/status/401", False, 401, "HTTP 401", True),
        ("/status/404", False, 404, "HTTP 404", True),
        ("/status/410", False, 410, "HTTP 410", True),
        ("/status/429", False, 429, "HTTP 429", True),
        ("/status/500", False, 500, "HTTP 500", True),
        ("/status/503", False, 503, "HTTP 503", True),
        ("/close", False, None, "protocol error", True),
        ("/big", True, 200, None, False),
    ],
)
@async_test
async def test_answers_become_outcomes(
    path: str, ok: bool, status: int | None, error: str | None, retryable: bool
) -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            outcome = await sender.send(
                receiver.url(path), SECRET, "msg_4", PAYLOAD, timestamp=now()
            )
        assert [r.path for r in receiver.received] == [path]  # one attempt, no redirect
    assert (outcome.ok, outcome.status_code, outcome.error, outcome.retryable) == (
        ok,
        status,
        error,
        retryable,
    )


@async_test
async def test_a_receiver_that_does_not_answer_in_time_is_a_retryable_timeout() -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True, total_timeout=0.3) as sender:
            outcome = await sender.send(
                receiver.url("/hang"), SECRET, "m", PAYLOAD, timestamp=now()
            )
    assert (outcome.ok, outcome.error, outcome.retryable, outcome.status_code) == (
        False,
        "timeout",
        True,
        None,
    )
    assert 250 <= outcome.duration_ms < 3000


@async_test
async def test_a_closed_port_is_a_retryable_connection_refused() -> None:
    with refusing_port() as port:
        async with WebhookSender(allow_private=True) as sender:
            url = f"http://127.0.0.1:{port}/hook"
            outcome = await sender.send(url, SECRET, "m", PAYLOAD, timestamp=now())
    assert outcome == DeliveryOutcome(
        False, None, "connection refused", outcome.duration_ms, retryable=True
    )


@async_test
async def test_deliveries_share_a_keep_alive_connection() -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            for webhook_id in ("a", "b", "c"):
                await sender.send(receiver.url(), SECRET, webhook_id, PAYLOAD, timestamp=now())
        assert len({r.client_port for r in receiver.received}) == 1


@async_test
async def test_concurrent_deliveries_all_arrive() -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            outcomes = await asyncio.gather(
                *(
                    sender.send(receiver.url(), SECRET, f"msg_{i}", PAYLOAD, timestamp=now())
                    for i in range(20)
                )
            )
        assert all(o.ok for o in outcomes), [o for o in outcomes if not o.ok]
        assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(
            f"msg_{i}" for i in range(20)
        )


# --- we connect to the address we resolved and checked ------------------------------


@async_test
async def test_a_host_name_is_resolved_once_and_connected_to_at_the_checked_address() -> None:
    # hooks.example is resolvable only through our resolver, so arriving at the receiver
    # proves the connection went to the address we resolved, not to a second lookup.
    calls: list[tuple[str, int]] = []
    resolver = fixed_resolver({"hooks.example": ["127.0.0.1"]}, calls)
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True, resolver=resolver) as sender:
            url = receiver.url(host="hooks.example")
            outcomes = [
                await sender.send(url, SECRET, f"m{i}", PAYLOAD, timestamp=now()) for i in (1, 2)
            ]
        assert all(o.ok for o in outcomes), outcomes
        assert [r.headers["host"] for r in receiver.received] == [
            f"hooks.example:{receiver.port}"
        ] * 2
    assert calls == [("hooks.example", receiver.port)]  # the kept-alive connection is reused


@pytest.mark.parametrize(
    ("addresses", "error", "retryable"),
    [
        (["93.184.215.14", "127.0.0.1"], "refused: loopback address", False),
        (["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "10.0.0.7"], "refused: private address", False),
        (["93.184.215.14", "169.254.169.254"], "refused: link-local address", False),
        (["not-an-ip"], "refused: unusable address", False),
        ([], "dns: host not found", True),
    ],
)
@async_test
async def test_every_resolved_address_is_checked_before_connecting(
    addresses: list[str], error: str, retryable: bool
) -> None:
    resolver = fixed_resolver({"hooks.example": addresses})
    async with WebhookSender(resolver=resolver) as sender:
        url = "http://hooks.example/hook"
        outcome = await sender.send(url, SECRET, "m", PAYLOAD, timestamp=now())
    assert (outcome.ok, outcome.error, outcome.retryable) == (False, error, retryable)


@async_test
async def test_an_unknown_host_is_a_retryable_dns_failure() -> None:
    async with WebhookSender(resolver=fixed_resolver({})) as sender:
        outcome = await sender.send(
            "https://nowhere.example/", SECRET, "m", PAYLOAD, timestamp=now()
        )
    assert (outcome.ok, outcome.error, outcome.retryable) == (False, "dns: host not found", True)


@async_test
async def test_a_resolver_that_hangs_is_a_connect_timeout() -> None:
    async def hang(host: str, port: int) -> list[str]:
        await asyncio.sleep(5)
        return []

    async with WebhookSender(resolver=hang, connect_timeout=0.2) as sender:
        outcome = await sender.send("http://slow.example/", SECRET, "m", PAYLOAD, timestamp=now())
    assert (outcome.error, outcome.retryable) == ("timeout", True)
    assert outcome.duration_ms < 3000


# --- TLS keeps the host name while connecting to the pinned address -----------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    directory: Path = tmp_path_factory.mktemp("tls")
    return make_certificate(directory, "hooks.example")


@pytest.mark.parametrize(
    ("host", "ok", "error"),
    [
        ("hooks.example", True, None),
        ("other.example", False, "tls: certificate not trusted"),  # same address, wrong name
    ],
)
@async_test
async def test_https_checks_the_certificate_against_the_host_name(
    certificate: Certificate, host: str, ok: bool, error: str | None
) -> None:
    resolver = fixed_resolver({"hooks.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    context = certificate.client_context()
    with http_receiver(tls=certificate.server_context()) as receiver:
        async with WebhookSender(
            allow_private=True, resolver=resolver, ssl_context=context
        ) as sender:
            url = receiver.url(host=host, scheme="https")
            outcome = await sender.send(url, SECRET, "m", PAYLOAD, timestamp=now())
        assert (outcome.ok, outcome.error) == (ok, error)
        if ok:
            [request] = receiver.received
            assert Webhook(SECRET).verify(request.body, request.headers) == PAYLOAD
        else:
            assert outcome.retryable and receiver.received == []
