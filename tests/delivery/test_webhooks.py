"""WebhookSender against a real HTTP(S) receiver on 127.0.0.1: Standard Webhooks
signatures checked with the `standardwebhooks` library, outcomes of every kind of
answer and failure, keep-alive, and connecting to the address we resolved and checked."""

from __future__ import annotations

import asyncio
import base64
import errno
import json
import socket
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest
from standardwebhooks import Webhook

from kodeord import __version__
from kodeord.adapters.webhooks import (
    RefusedTarget,
    Resolver,
    UnresolvedHost,
    WebhookSender,
    failed_delivery,
)
from kodeord.app.delivery import DeliveryOutcome
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


def rebinding_resolver(answers: list[list[str]], calls: list[str]) -> Resolver:
    """A resolver giving `answers` in turn (the last one from then on), recording calls:
    DNS rebinding, where a name checked as one address later resolves to another."""

    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls), len(answers)) - 1]

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
async def test_credentials_in_the_url_become_basic_auth_in_utf8() -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            url = f"http://üser:pä%20ss@127.0.0.1:{receiver.port}/hook"
            outcomes = [
                await sender.send(url, SECRET, "m1", PAYLOAD, timestamp=now()),
                await sender.send(
                    url.replace("üser", "用户"), SECRET, "m2", PAYLOAD, timestamp=now()
                ),
            ]
        assert all(o.ok for o in outcomes), outcomes
        assert [(r.path, r.headers["authorization"]) for r in receiver.received] == [
            ("/hook", "Basic " + base64.b64encode("üser:pä ss".encode()).decode()),
            ("/hook", "Basic " + base64.b64encode("用户:pä ss".encode()).decode()),
        ]


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
        ("/garbage", False, None, "protocol error", True),
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


def raised_from(cause: BaseException, exc: BaseException) -> BaseException:
    exc.__cause__ = cause
    return exc


UNREACHABLE = OSError(errno.EHOSTUNREACH, "No route to host")

# What a send can fail with, including our resolver's errors as aiohttp might wrap them.
FAILURES = [
    ("timeout", TimeoutError(), "timeout", True),
    ("aiohttp-timeout", aiohttp.ServerTimeoutError("read"), "timeout", True),
    ("disconnected", aiohttp.ServerDisconnectedError(), "protocol error", True),
    ("cut-short", aiohttp.ClientPayloadError("cut short"), "protocol error", True),
    (
        "malformed",
        aiohttp.ClientResponseError(None, (), status=400, message="Bad status line"),  # type: ignore[arg-type]
        "protocol error",
        True,
    ),
    (
        "reset",
        raised_from(ConnectionResetError(), aiohttp.ClientOSError()),
        "connection reset",
        True,
    ),
    (
        "unreachable",
        raised_from(UNREACHABLE, aiohttp.ClientConnectorError(None, UNREACHABLE)),  # type: ignore[arg-type]
        "connect failed",
        True,
    ),
    ("unresolved", UnresolvedHost("hooks.example"), "dns: host not found", True),
    (
        "unresolved-wrapped",
        raised_from(UnresolvedHost("hooks.example"), aiohttp.ClientConnectionError()),
        "dns: host not found",
        True,
    ),
    ("refused", RefusedTarget("refused: loopback address"), "refused: loopback address", False),
    (
        "refused-wrapped",
        raised_from(RefusedTarget("refused: private address"), aiohttp.ClientConnectionError()),
        "refused: private address",
        False,
    ),
    ("other", aiohttp.ClientConnectionError(), "transport error: ClientConnectionError", True),
]


@pytest.mark.parametrize(
    ("exc", "error", "retryable"), [row[1:] for row in FAILURES], ids=[row[0] for row in FAILURES]
)
def test_failures_become_short_stable_texts(
    exc: BaseException, error: str, retryable: bool
) -> None:
    outcome = failed_delivery(exc, 12.5)
    assert outcome == DeliveryOutcome(False, None, error, 12.5, retryable)


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
async def test_a_long_answer_is_dropped_with_its_connection() -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            for path in ("/big", "/hook", "/hook"):
                outcome = await sender.send(
                    receiver.url(path), SECRET, "m", PAYLOAD, timestamp=now()
                )
                assert outcome.ok, outcome
        big, after, again = (r.client_port for r in receiver.received)
    assert big != after == again


@async_test
async def test_proxies_from_the_environment_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    with refusing_port() as port, http_receiver() as receiver:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
            monkeypatch.setenv(name.lower(), f"http://127.0.0.1:{port}")
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with WebhookSender(allow_private=True) as sender:
            outcome = await sender.send(receiver.url(), SECRET, "m", PAYLOAD, timestamp=now())
        assert outcome.ok, outcome
        assert [r.path for r in receiver.received] == ["/hook"]


def test_a_sender_made_outside_an_event_loop_works_inside_one_until_closed() -> None:
    sender = WebhookSender(allow_private=True)  # as Gateway.build does

    async def deliver_then_close() -> DeliveryOutcome:
        async with sender:
            return await sender.send(receiver.url(), SECRET, "m", PAYLOAD, timestamp=now())

    async def send_after_close() -> None:
        with pytest.raises(RuntimeError):
            await sender.send(receiver.url(), SECRET, "m2", PAYLOAD, timestamp=now())

    with http_receiver() as receiver:
        assert asyncio.run(deliver_then_close()).ok
        asyncio.run(send_after_close())
        assert [r.headers["webhook-id"] for r in receiver.received] == ["m"]


@async_test
async def test_max_connections_bounds_the_pool() -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True, max_connections=1) as sender:
            outcomes = await asyncio.gather(
                *(
                    sender.send(receiver.url(), SECRET, f"m{i}", PAYLOAD, timestamp=now())
                    for i in range(5)
                )
            )
        assert all(o.ok for o in outcomes), outcomes
        assert len(receiver.received) == 5
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


@async_test
async def test_a_rebinding_name_cannot_move_a_connection_to_another_address() -> None:
    # After its first answer the name rebinds to 127.0.0.2, where nothing listens. Only
    # the checked answer is used: for the connection it was looked up for (no second
    # lookup at connect time, ours or aiohttp's), and, from aiohttp's DNS cache, for new
    # connections opened within DNS_CACHE_SECONDS.
    calls: list[str] = []
    resolver = rebinding_resolver([["127.0.0.1"], ["127.0.0.2"]], calls)
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True, resolver=resolver) as sender:
            url = receiver.url(host="hooks.example")
            first = await sender.send(url, SECRET, "m0", PAYLOAD, timestamp=now())
            burst = await asyncio.gather(
                *(sender.send(url, SECRET, f"m{i}", PAYLOAD, timestamp=now()) for i in (1, 2, 3))
            )
        assert all(o.ok for o in [first, *burst]), [first, *burst]
        assert len({r.client_port for r in receiver.received}) > 1
    assert calls == ["hooks.example"]


@async_test
async def test_a_refused_answer_is_not_cached_the_next_send_resolves_and_checks_again() -> None:
    calls: list[str] = []
    resolver = rebinding_resolver([["10.0.0.7"], ["169.254.169.254"]], calls)
    async with WebhookSender(resolver=resolver) as sender:
        outcomes = [
            await sender.send("http://hooks.example/", SECRET, "m", PAYLOAD, timestamp=now())
            for _ in range(2)
        ]
    assert [(o.error, o.retryable) for o in outcomes] == [
        ("refused: private address", False),
        ("refused: metadata address", False),
    ]
    assert calls == ["hooks.example"] * 2


@pytest.mark.parametrize(
    ("addresses", "error", "retryable"),
    [
        (["93.184.215.14", "127.0.0.1"], "refused: loopback address", False),
        (["2606:2800:21f:cb07:6820:80da:af6b:8b2c", "10.0.0.7"], "refused: private address", False),
        (["93.184.215.14", "169.254.169.254"], "refused: metadata address", False),
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
