"""Short numbers, routes and API keys as tables of cases."""

from __future__ import annotations

from typing import Any

import pytest

from kodeord.domain import apikeys
from kodeord.domain.numbers import NumberMode, is_short_number, number_problem
from kodeord.domain.phones import to_e164
from kodeord.domain.routes import (
    DEFAULT_ROUTE,
    InboxRoute,
    RouteProblem,
    RouteType,
    SmsRoute,
    WebhookRoute,
    parse_route,
    route_from_json,
)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2077", True),
        ("26114", True),
        ("1963", True),
        ("207", False),
        ("207700", False),
        ("0207", False),
        ("abcd", False),
        ("２０７７", False),
        ("", False),
        ("20 77", False),
    ],
)
def test_is_short_number(text: str, ok: bool) -> None:
    assert is_short_number(text) is ok


@pytest.mark.parametrize(
    ("mode", "owner", "fees", "problem"),
    [
        (NumberMode.SHARED, None, (0, 0, 1000), None),
        (NumberMode.DEDICATED, 7, (358000, 820000, 0), None),
        (NumberMode.DEDICATED, None, (0, 0, 0), "needs owner_customer_id"),
        (NumberMode.SHARED, 7, (0, 0, 0), "has no owner"),
        (NumberMode.SHARED, None, (0, -1, 0), "cannot be negative"),
    ],
)
def test_number_problem(
    mode: NumberMode, owner: int | None, fees: tuple[int, int, int], problem: str | None
) -> None:
    found = number_problem("2077", mode, owner, fees)
    assert (found is None) if problem is None else (found is not None and problem in found)


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ({"type": "inbox"}, {"type": "inbox"}),
        ({"type": "smpp"}, {"type": "smpp"}),
        ({"type": "webhook", "url": "https://example.com/sms"}, None),
        ({"type": "webhook", "url": "http://127.0.0.1:9000/x"}, None),
        ({"type": "webhook", "url": "ftp://example.com/"}, "url"),
        ({"type": "webhook", "url": "https://"}, "url"),
        ({"type": "webhook"}, "url"),
        ({"type": "webhook", "url": "https://e.com/" + "x" * 2000}, "url"),
        ({"type": "email", "to": "ola@example.no"}, None),
        ({"type": "email", "to": "not-an-address"}, "to"),
        ({"type": "sms", "to": "41234567"}, {"type": "sms", "to": "+4741234567"}),
        ({"type": "sms", "to": "+4741234567"}, {"type": "sms", "to": "+4741234567"}),
        ({"type": "sms", "to": "12"}, "to"),
        ({"type": "carrier-pigeon"}, "type"),
        ({}, "type"),
    ],
)
def test_parse_route(route: dict[str, Any], expected: dict[str, Any] | str | None) -> None:
    parsed = parse_route(route)
    if isinstance(expected, str):
        assert isinstance(parsed, RouteProblem) and parsed.field == expected
    else:
        assert not isinstance(parsed, RouteProblem)
        assert parsed.to_json() == (route if expected is None else expected)
        assert route_from_json(parsed.to_json()) == parsed  # as stored, read back


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (None, InboxRoute()),
        ({"type": "inbox"}, InboxRoute()),
        ({"type": "sms", "to": "+4741234567"}, SmsRoute("+4741234567")),
        ({"type": "webhook", "url": "https://e.com/x"}, WebhookRoute("https://e.com/x")),
        ({"type": "carrier-pigeon"}, None),
        ({"type": "webhook"}, None),
    ],
)
def test_route_from_json(stored: dict[str, Any] | None, expected: object) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            route_from_json(stored)
    else:
        assert route_from_json(stored) == expected


def test_default_route_is_the_inbox() -> None:
    assert InboxRoute() == DEFAULT_ROUTE and DEFAULT_ROUTE.type is RouteType.INBOX


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("41234567", "+4741234567"),
        ("004741234567", "+4741234567"),
        ("+47 412 34 567", "+4741234567"),
        ("+46701234567", "+46701234567"),
        ("2077", None),
        ("abc", None),
        ("", None),
        ("9" * 40, None),
    ],
)
def test_to_e164(text: str, e164: str | None) -> None:
    assert to_e164(text) == e164


def test_api_key_round_trip() -> None:
    secret = apikeys.new_secret(bytes(range(32)))
    key = apikeys.format_key(42, secret)
    parsed = apikeys.parse_key(key)
    assert parsed == apikeys.ParsedKey("ko", 42, secret)
    stored = apikeys.hash_secret(secret)
    assert secret not in stored
    assert apikeys.secret_matches(parsed.secret, stored)
    assert not apikeys.secret_matches(secret[:-1] + "x", stored)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "ko",
        "ko_1",
        "ko_x_" + "a" * 43,
        "ko_0_" + "a" * 43,
        "a b c",
        "ko_9223372036854775808_" + "a" * 43,  # 2^63: beyond BIGINT
        "ko_9999999999999999999_" + "a" * 20,  # the attack run's key
    ],
)
def test_parse_key_refuses_other_shapes(token: str) -> None:
    assert apikeys.parse_key(token) is None


@pytest.mark.parametrize(
    ("token", "key_id"),
    [
        ("ko_1_" + "a" * 20, 1),
        ("ko_9223372036854775807_" + "a" * 43, 2**63 - 1),  # the largest BIGINT
    ],
)
def test_parse_key_accepts_every_bigint_id(token: str, key_id: int) -> None:
    parsed = apikeys.parse_key(token)
    assert parsed is not None and parsed.key_id == key_id
