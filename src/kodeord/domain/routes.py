"""Where a keyword's messages go: a route, one of a few types, stored as a small JSON object.

A route is a tagged union of frozen records, one per `RouteType`: `WebhookRoute` (an
http(s) URL), `EmailRoute` (an address), `SmsRoute` (forward to a phone, E.164),
`SmppRoute` (the customer's own SMPP bind) and `InboxRoute` (kept for the API and
console; the default, `DEFAULT_ROUTE`).

Rules:
- `parse_route` checks a route given by a user: the normalised route, or the
  `RouteProblem` with it. Only what it returns is ever stored.
- Storage holds `route.to_json()`; `route_from_json` reads it back without checking
  again (it was checked when it was stored). Delivery itself lives in app/mo/.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar
from urllib.parse import urlsplit

from kodeord.domain.phones import to_e164

MAX_URL_LENGTH = 2000
_EMAIL = re.compile(
    r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+"
)


class RouteType(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"
    SMS = "sms"
    SMPP = "smpp"
    INBOX = "inbox"


ROUTE_TYPES = tuple(RouteType)


@dataclass(frozen=True, slots=True)
class WebhookRoute:
    url: str
    type: ClassVar[RouteType] = RouteType.WEBHOOK

    def to_json(self) -> dict[str, str]:
        return {"type": self.type.value, "url": self.url}


@dataclass(frozen=True, slots=True)
class EmailRoute:
    to: str
    type: ClassVar[RouteType] = RouteType.EMAIL

    def to_json(self) -> dict[str, str]:
        return {"type": self.type.value, "to": self.to}


@dataclass(frozen=True, slots=True)
class SmsRoute:
    to: str  # E.164
    type: ClassVar[RouteType] = RouteType.SMS

    def to_json(self) -> dict[str, str]:
        return {"type": self.type.value, "to": self.to}


@dataclass(frozen=True, slots=True)
class SmppRoute:
    type: ClassVar[RouteType] = RouteType.SMPP

    def to_json(self) -> dict[str, str]:
        return {"type": self.type.value}


@dataclass(frozen=True, slots=True)
class InboxRoute:
    type: ClassVar[RouteType] = RouteType.INBOX

    def to_json(self) -> dict[str, str]:
        return {"type": self.type.value}


Route = WebhookRoute | EmailRoute | SmsRoute | SmppRoute | InboxRoute
DEFAULT_ROUTE: Route = InboxRoute()


@dataclass(frozen=True, slots=True)
class RouteProblem:
    field: str
    message: str


def _webhook(value: Mapping[str, Any]) -> Route | RouteProblem:
    url = value.get("url")
    if not isinstance(url, str) or not url:
        return RouteProblem("url", "a webhook route needs a url")
    if len(url) > MAX_URL_LENGTH:
        return RouteProblem("url", f"the url is longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return RouteProblem("url", "the url must be http:// or https:// with a host")
    return WebhookRoute(url)


def _email(value: Mapping[str, Any]) -> Route | RouteProblem:
    to = value.get("to")
    if not isinstance(to, str) or len(to) > 254 or not _EMAIL.fullmatch(to):
        return RouteProblem("to", "an email route needs a valid address in 'to'")
    return EmailRoute(to)


def _sms(value: Mapping[str, Any]) -> Route | RouteProblem:
    to = value.get("to")
    e164 = to_e164(to) if isinstance(to, str) else None
    if e164 is None:
        return RouteProblem("to", "an sms route needs a valid phone number in 'to'")
    return SmsRoute(e164)


_PARSERS: dict[str, Callable[[Mapping[str, Any]], Route | RouteProblem]] = {
    RouteType.WEBHOOK: _webhook,
    RouteType.EMAIL: _email,
    RouteType.SMS: _sms,
    RouteType.SMPP: lambda _value: SmppRoute(),
    RouteType.INBOX: lambda _value: InboxRoute(),
}


def parse_route(value: Mapping[str, Any]) -> Route | RouteProblem:
    """Check a route given by a user; the normalised route, or what is wrong with it."""
    parser = _PARSERS.get(str(value.get("type")))
    if parser is None:
        return RouteProblem("type", f"type must be one of {', '.join(ROUTE_TYPES)}")
    return parser(value)


_READERS: dict[str, Callable[[Mapping[str, Any]], Route]] = {
    RouteType.WEBHOOK: lambda value: WebhookRoute(str(value["url"])),
    RouteType.EMAIL: lambda value: EmailRoute(str(value["to"])),
    RouteType.SMS: lambda value: SmsRoute(str(value["to"])),
    RouteType.SMPP: lambda _value: SmppRoute(),
    RouteType.INBOX: lambda _value: InboxRoute(),
}


def route_from_json(value: Mapping[str, Any] | None) -> Route:
    """A stored route (`to_json()`'s value); None, as stored for no route, is the default.
    A value `parse_route` would never have returned raises ValueError."""
    if value is None:
        return DEFAULT_ROUTE
    reader = _READERS.get(str(value.get("type")))
    if reader is None:
        raise ValueError(f"unknown route type {value.get('type')!r}")
    try:
        return reader(value)
    except KeyError as missing:
        raise ValueError(f"a {value['type']} route without {missing}") from None
