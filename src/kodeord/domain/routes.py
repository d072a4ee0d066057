"""Where a keyword's messages go: one route per lease, stored as a small JSON object.

Route types: `webhook` (an http(s) URL), `email` (an address), `sms` (forward to a
phone, stored as E.164), `smpp` (the customer's own SMPP bind) and `inbox` (kept for the
API and console; the default). `parse_route` checks a route given by a user and returns
the normalised value to store, or the problem with it. Delivery itself lives in app/.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from kodeord.domain.phones import to_e164

DEFAULT_ROUTE: dict[str, Any] = {"type": "inbox"}
ROUTE_TYPES = ("webhook", "email", "sms", "smpp", "inbox")
MAX_URL_LENGTH = 2000
_EMAIL = re.compile(
    r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+"
)


@dataclass(frozen=True, slots=True)
class RouteProblem:
    field: str
    message: str


def _webhook(value: Mapping[str, Any]) -> dict[str, Any] | RouteProblem:
    url = value.get("url")
    if not isinstance(url, str) or not url:
        return RouteProblem("url", "a webhook route needs a url")
    if len(url) > MAX_URL_LENGTH:
        return RouteProblem("url", f"the url is longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return RouteProblem("url", "the url must be http:// or https:// with a host")
    return {"type": "webhook", "url": url}


def _email(value: Mapping[str, Any]) -> dict[str, Any] | RouteProblem:
    to = value.get("to")
    if not isinstance(to, str) or len(to) > 254 or not _EMAIL.fullmatch(to):
        return RouteProblem("to", "an email route needs a valid address in 'to'")
    return {"type": "email", "to": to}


def _sms(value: Mapping[str, Any]) -> dict[str, Any] | RouteProblem:
    to = value.get("to")
    e164 = to_e164(to) if isinstance(to, str) else None
    if e164 is None:
        return RouteProblem("to", "an sms route needs a valid phone number in 'to'")
    return {"type": "sms", "to": e164}


def parse_route(value: Mapping[str, Any]) -> dict[str, Any] | RouteProblem:
    """Check a route given by a user; the normalised route, or what is wrong with it."""
    kind = value.get("type")
    if kind == "webhook":
        return _webhook(value)
    if kind == "email":
        return _email(value)
    if kind == "sms":
        return _sms(value)
    if kind in ("smpp", "inbox"):
        return {"type": kind}
    return RouteProblem("type", f"type must be one of {', '.join(ROUTE_TYPES)}")
