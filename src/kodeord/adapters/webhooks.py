"""Webhook delivery: one signed HTTP POST per call, reported as a `DeliveryOutcome`.

Signing (Standard Webhooks, through the `standardwebhooks` package): headers
`webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). The body is compact UTF-8 JSON and
the bytes signed are exactly the bytes sent. The caller gives the `webhook-id` and keeps
it across retries: it is the receiver's idempotency key.

Rules:
- One attempt per call; the caller decides about retries (`domain.retry`). Redirects are
  not followed (a 3xx is a failure). Like Standard Webhooks and Svix, every non-2xx answer
  and every transport error is retryable; only a target we refuse is not.
- Targets (SSRF): http and https only. We resolve the host ourselves, in the connection
  pool's network backend at connect time, check every address it resolves to and connect
  to a checked address; nothing looks the name up a second time, so DNS rebinding cannot
  swap in another address. The Host header, TLS SNI and certificate check keep the name.
  Unless `allow_private` (tests, or KODEORD_WEBHOOK_ALLOW_PRIVATE=1 in the gateway's
  settings), we refuse loopback, private, link-local, CGNAT, multicast, reserved,
  unspecified and other non-global addresses, also inside IPv4-mapped, 6to4 and NAT64
  IPv6 addresses. The refusal text names the kind of address, never the address: the
  delivery log must not become a probe of our internal DNS.
- Proxies from the environment are ignored: a proxy would connect, on our behalf, to an
  address we never checked.
- Time limits: connect 5 s (DNS included), the whole attempt 10 s. Up to 64 KiB of the
  answer is read so the keep-alive connection can be reused; a longer answer is dropped
  together with its connection.
- A malformed secret, webhook id or naive timestamp is the caller's bug: ValueError.

Limits: httpx has no public hook for the network backend, so `_CheckedTransport` swaps
the pool inside httpx's transport (checked against httpx 0.28; the pinning tests fail if
it stops working). `allow_private` turns the address check off altogether (schemes are
still checked). Addresses are tried in the resolver's order, without happy eyeballs. A
kept-alive connection, checked when it was opened, is reused for up to 30 s idle. If the
time runs out while the body of a 2xx answer is still arriving, the attempt counts as a
timeout and is retried; the receiver sees the same `webhook-id` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import math
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpcore
import httpx
from standardwebhooks import Webhook

from kodeord import __version__
from kodeord.adapters.delivery import DeliveryOutcome, Stopwatch, cause_text
from kodeord.domain.signing import is_valid_signing_secret

USER_AGENT = f"Kodeord/{__version__}"
SCHEMES = frozenset({"http", "https"})
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0
)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Host and port → the addresses to try, as IP strings (default: `resolve_host`)."""

_WEBHOOK_ID = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces
_SHARED_V4 = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix


class RefusedTarget(Exception):
    """We do not deliver to this URL or address; str() is the outcome's error text."""


class UnresolvedHost(Exception):
    """The host name resolved to no address."""


# --- which targets we refuse (pure) ------------------------------------------------


def address_refusal(address: IpAddress) -> str | None:
    """The kind of address we refuse ("loopback", "private" …), or None to allow it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_refusal(embedded)
    for kind, applies in _REFUSED_KINDS:
        if applies(address):
            return kind
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 address leads to."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def _is_private(address: IpAddress) -> bool:
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_private or site_local


_REFUSED_KINDS: tuple[tuple[str, Callable[[IpAddress], bool]], ...] = (
    ("unspecified", lambda a: a.is_unspecified),
    ("loopback", lambda a: a.is_loopback),
    ("link-local", lambda a: a.is_link_local),
    ("multicast", lambda a: a.is_multicast),
    ("shared", lambda a: a.version == 4 and a in _SHARED_V4),
    ("private", _is_private),
    ("reserved", lambda a: a.is_reserved),
    ("non-global", lambda a: not a.is_global),
)


def parse_target(url: str) -> httpx.URL:
    """The URL, parsed, when its shape is one we deliver to; else RefusedTarget."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise RefusedTarget("refused: invalid URL") from None
    if parsed.scheme not in SCHEMES:
        raise RefusedTarget("refused: not an http(s) URL")
    if not parsed.host:
        raise RefusedTarget("refused: invalid URL")
    return parsed


def check_addresses(addresses: Iterable[str]) -> None:
    """RefusedTarget unless every resolved address is one we may connect to."""
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.partition("%")[0])
        except ValueError:
            raise RefusedTarget("refused: unusable address") from None
        kind = address_refusal(address)
        if kind is not None:
            raise RefusedTarget(f"refused: {kind} address")


# --- signing (pure) ------------------------------------------------------------------


def encode_payload(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes that are signed and sent."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode()


def unix_seconds(timestamp: datetime) -> int:
    if timestamp.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    return math.floor(timestamp.timestamp())


def signed_headers(
    secret: str, webhook_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers for `body` (plus its content type)."""
    if not is_valid_signing_secret(secret):
        raise ValueError("not a whsec_ signing secret")
    if not _WEBHOOK_ID.fullmatch(webhook_id):
        raise ValueError("webhook id must be 1-255 printable ASCII characters")
    seconds = unix_seconds(timestamp)
    # The library reads the datetime as UTC whatever its zone, so hand it UTC.
    at = datetime.fromtimestamp(seconds, UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(seconds),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body.decode()),
        "content-type": "application/json",
    }


# --- the network side ----------------------------------------------------------------


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host`, in its order, once each."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """Resolves the host itself, checks every address, connects to a checked one."""

    def __init__(self, resolver: Resolver, allow_private: bool) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()  # httpx's own backend under asyncio

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: httpcore.ConnectError | None = None
        for address in await self._checked_addresses(host, port, timeout):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None  # _checked_addresses never returns an empty list
        raise failure

    async def _checked_addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolver(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host}") from None
        except OSError as exc:
            raise UnresolvedHost(host) from exc
        if not addresses:
            raise UnresolvedHost(host)
        if not self._allow_private:
            check_addresses(addresses)
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise RefusedTarget("refused: unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool that connects through _CheckedBackend."""

    def __init__(
        self, backend: _CheckedBackend, ssl_context: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        super().__init__(verify=ssl_context, limits=limits, trust_env=False)
        # httpx (0.28) has no public hook for the network backend, so we replace the pool
        # it built. test_webhooks' pinning tests fail if this stops taking effect.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )


class WebhookSender:
    """Posts signed webhooks through one keep-alive connection pool; one attempt per send."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        ssl_context: ssl.SSLContext | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        backend = _CheckedBackend(resolver or resolve_host, allow_private)
        context = ssl_context or httpx.create_ssl_context()
        self._total_timeout = total_timeout
        self._client = httpx.AsyncClient(
            transport=_CheckedTransport(backend, context, limits),
            timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": USER_AGENT},
        )

    async def send(
        self,
        url: str,
        secret: str,
        webhook_id: str,
        payload: dict[str, Any],
        *,
        timestamp: datetime,
    ) -> DeliveryOutcome:
        """POST `payload` to `url`, signed with `secret`; one attempt, never raises for I/O."""
        body = encode_payload(payload)
        headers = signed_headers(secret, webhook_id, timestamp, body)
        watch = Stopwatch()
        try:
            target = parse_target(url)
            async with asyncio.timeout(self._total_timeout):
                status = await self._post(target, headers, body)
        except RefusedTarget as exc:
            return DeliveryOutcome.failed(str(exc), watch.elapsed_ms(), retryable=False)
        except (httpx.HTTPError, TimeoutError, UnresolvedHost) as exc:
            return DeliveryOutcome.failed(describe_failure(exc), watch.elapsed_ms())
        if 200 <= status < 300:
            return DeliveryOutcome.delivered(status, watch.elapsed_ms())
        return DeliveryOutcome.failed(f"HTTP {status}", watch.elapsed_ms(), status_code=status)

    async def _post(self, url: httpx.URL, headers: dict[str, str], body: bytes) -> int:
        async with self._client.stream("POST", url, content=body, headers=headers) as response:
            # The answer counts once the status is in; a broken body does not undo it.
            with contextlib.suppress(httpx.HTTPError):
                await _drain(response)
            return response.status_code

    async def close(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> WebhookSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def _drain(response: httpx.Response) -> None:
    """Read a short answer to its end so the connection can be reused."""
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > MAX_RESPONSE_BYTES:
            return  # closing the response drops the connection


def describe_failure(exc: BaseException) -> str:
    """A short, stable text for a transport failure."""
    if isinstance(exc, UnresolvedHost):
        return "dns: host not found"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timeout"
    text = cause_text(exc)
    if text is not None:
        return text
    if isinstance(exc, httpx.ConnectError):
        return "connect failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol error"
    return f"transport error: {type(exc).__name__}"
