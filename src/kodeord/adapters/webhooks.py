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
  pool's resolver at connect time, check every address it resolves to and connect
  to a checked address; nothing looks the name up a second time, so DNS rebinding cannot
  swap in another address. The Host header, TLS SNI and certificate check keep the name.
  Unless `allow_private` (tests, or KODEORD_WEBHOOK_ALLOW_PRIVATE=1 in the gateway's
  settings), we refuse loopback, private, link-local, CGNAT, multicast, reserved,
  unspecified and other non-global addresses, also inside IPv4-mapped, 6to4 and NAT64
  IPv6 addresses (the rules: domain/targets.py). The refusal text names the kind of
  address, never the address: the delivery log must not become a probe of our internal
  DNS. `TargetCheck` applies the same checks when a URL is configured.
- Proxies from the environment are ignored: a proxy would connect, on our behalf, to an
  address we never checked.
- Time limits: connect 5 s (DNS included), the whole attempt 10 s. Up to 64 KiB of the
  answer is read so the keep-alive connection can be reused; a longer answer is dropped
  together with its connection.
- A malformed secret, webhook id or naive timestamp is the caller's bug: ValueError.

Limits: names are looked up through `_CheckedResolver`, aiohttp's public resolver hook
(tested with aiohttp 3.9.0 and 3.14.5; the pinning tests fail if it stops taking
effect). aiohttp keeps a checked answer for `DNS_CACHE_SECONDS` (10 s) and shares one
lookup among the connections opened meanwhile, so new connections see a DNS change up to
10 s late; a refusal is never cached. An IP address in the URL is connected to without
any lookup, so `send` checks it itself; a host of digits and dots (127.1, 2130706433) is
first rewritten to the dotted quad the C library reads it as, which aiohttp then
connects to as it is. `allow_private` turns the address check off altogether (schemes
are still checked). Addresses are tried with aiohttp's happy eyeballs, all of them
checked. Up to `max_connections` (100) connections, idle ones, checked when opened,
reused for up to 30 s. DNS and the TCP+TLS connect each get the connect time; waiting
for a free connection counts only against the whole attempt. Answers are read raw (never
decompressed) and cookies are neither kept nor sent. The default trust store is
certifi's, as under httpx. aiohttp rejects a 204 answer that carries a body anyway (RFC
9110 forbids one) as a protocol error when the body comes with the head, where httpx let
it pass. If the time runs out while the body of a 2xx answer is still arriving, the
attempt counts as a timeout and is retried; the receiver sees the same `webhook-id`
again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import math
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import certifi
from aiohttp.abc import AbstractResolver
from standardwebhooks import Webhook
from yarl import URL

from kodeord import __version__
from kodeord.adapters.delivery import cause_text
from kodeord.app.delivery import DeliveryOutcome, Stopwatch
from kodeord.app.ports import TargetProblem, TargetRefused
from kodeord.domain.signing import is_valid_signing_secret
from kodeord.domain.targets import addresses_refusal

if TYPE_CHECKING:
    from aiohttp.abc import ResolveResult  # a TypedDict, so plain dicts at run time

USER_AGENT = f"Kodeord/{__version__}"
SCHEMES = frozenset({"http", "https"})
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
MAX_CONNECTIONS = 100
KEEPALIVE_SECONDS = 30.0
DNS_CACHE_SECONDS = 10
LOOKUP_TIMEOUT = 2.0  # a configuration-time lookup (TargetCheck): an API call waits for it
LOOKUP_CACHE_SECONDS = 30.0

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""Host and port → the addresses to try, as IP strings (default: `resolve_host`)."""

_WEBHOOK_ID = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, no spaces
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_ErrorT = TypeVar("_ErrorT", bound=BaseException)


class RefusedTarget(TargetRefused):
    """We do not deliver to this URL or address; str() is the outcome's error text."""

    kind = TargetProblem.SHAPE


class RefusedAddress(RefusedTarget):
    """The URL is well formed, but its host is (or resolves to) an address we refuse."""

    kind = TargetProblem.ADDRESS


class UnresolvedHost(TargetRefused):
    """The host name resolved to no address (not a RefusedTarget: it may resolve later)."""

    kind = TargetProblem.UNRESOLVED


# --- which targets we refuse (pure; the address rules are in domain/targets.py) ----------


def parse_target(url: str) -> URL:
    """The URL, parsed, when its shape is one we deliver to; else RefusedTarget.

    A host of digits and dots comes back as the dotted quad it stands for."""
    if _CONTROL_CHARACTERS.search(url):
        raise RefusedTarget("refused: invalid URL")
    try:
        parsed = URL(url)
    except ValueError:
        raise RefusedTarget("refused: invalid URL") from None
    if parsed.scheme not in SCHEMES:
        raise RefusedTarget("refused: not an http(s) URL")
    if not parsed.raw_host:
        raise RefusedTarget("refused: invalid URL")
    if _is_numeric(parsed.raw_host):
        return parsed.with_host(_dotted_quad(parsed.raw_host))
    return parsed


def _is_numeric(host: str) -> bool:
    # aiohttp's test (helpers.is_ip_address in 3.14; older ones test less): such a host
    # is connected to as it is, without a lookup.
    return host.replace(".", "").isdigit()


def _dotted_quad(host: str) -> str:
    """An IPv4 address written with four parts exactly (no leading zeros, as httpx
    required), or in a shorter form the C library reads (127.1, 2130706433)."""
    try:
        if host.count(".") == 3:
            return str(ipaddress.IPv4Address(host))
        return socket.inet_ntoa(socket.inet_aton(host))
    except (ValueError, OSError):
        raise RefusedTarget("refused: invalid URL") from None


def literal_address(url: URL) -> str | None:
    """The IP address `url` names instead of a host name, or None."""
    host = url.raw_host
    if host is not None and (":" in host or _is_numeric(host)):
        return host
    return None


def split_credentials(url: URL) -> tuple[URL, str | None]:
    """The URL without `user:password@`, and those as a Basic authorization header in
    UTF-8, as httpx sent them (aiohttp would encode them as Latin-1, or fail)."""
    if url.raw_user is None and url.raw_password is None:
        return url, None
    credentials = f"{url.user or ''}:{url.password or ''}".encode()
    return url.with_user(None), "Basic " + base64.b64encode(credentials).decode()


def check_addresses(addresses: Iterable[str]) -> None:
    """RefusedAddress unless every resolved address is one we may connect to."""
    kind = addresses_refusal(addresses)
    if kind is not None:
        raise RefusedAddress(f"refused: {kind} address")


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


class _CheckedResolver(AbstractResolver):
    """aiohttp's name lookups: our resolver's answer, every address checked, or an error."""

    def __init__(self, resolver: Resolver, allow_private: bool, timeout: float) -> None:
        self._resolver = resolver
        self._allow_private = allow_private
        self._timeout = timeout

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        # `family` is ignored: the connector asks for any (AF_UNSPEC) and we give all.
        addresses = await self._checked_addresses(host, port)
        return [_resolve_result(host, address, port) for address in addresses]

    async def _checked_addresses(self, host: str, port: int) -> list[str]:
        try:
            async with asyncio.timeout(self._timeout):
                addresses = await self._resolver(host, port)
        except TimeoutError:
            raise  # an OSError, but no lookup failure: aiohttp reports a connect timeout
        except OSError as exc:
            raise UnresolvedHost(host) from exc
        if not addresses:
            raise UnresolvedHost(host)
        if not self._allow_private:
            check_addresses(addresses)
        return addresses

    async def close(self) -> None:
        pass  # our resolver holds nothing


def _resolve_result(host: str, address: str, port: int) -> ResolveResult:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return {
        "hostname": host,
        "host": address,
        "port": port,
        "family": family,
        "proto": 0,
        "flags": 0,
    }


class TargetCheck:
    """The check of a webhook or callback URL when a customer configures it, so a target
    we would refuse at delivery is refused at once instead of failing the first message.

    The same rules as `WebhookSender`: the URL's shape (`parse_target`), then its literal
    address or every address its host resolves to (through the same resolver). A lookup
    gets `timeout` seconds; its outcome, refusals and failures included, is kept for
    `cache_seconds` (at most `max_cached` hosts), so a batch or a burst of sends with one
    callback URL looks it up once. DNS may change later: delivery checks again.
    `allow_private` skips the address check, as it does at delivery.

    Raises RefusedTarget (a bad shape), RefusedAddress (a refused address) or
    UnresolvedHost (no address, or none within the time): the app's `TargetRefused`
    with its `kind` (app/ports.py); this class is the app's `TargetCheck` port."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        timeout: float = LOOKUP_TIMEOUT,
        cache_seconds: float = LOOKUP_CACHE_SECONDS,
        max_cached: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allow_private = allow_private
        self._resolver = resolver or resolve_host
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._max_cached = max_cached
        self._clock = clock
        self._cache: dict[str, tuple[float, _Lookup]] = {}

    async def check(self, url: str) -> None:
        target = parse_target(url)
        if self.allow_private:
            return
        address = literal_address(target)
        if address is not None:
            check_addresses([address])
            return
        assert target.raw_host is not None  # parse_target refuses a URL without a host
        outcome = await self._lookup(target.raw_host, target.port or 0)
        if outcome.unresolved is not None:
            raise UnresolvedHost(outcome.unresolved)
        if outcome.refusal is not None:
            raise RefusedAddress(f"refused: {outcome.refusal} address")

    async def _lookup(self, host: str, port: int) -> _Lookup:
        now = self._clock()
        cached = self._cache.get(host)
        if cached is not None and cached[0] > now:
            return cached[1]
        outcome = await self._resolve(host, port)
        if len(self._cache) >= self._max_cached:
            self._cache = {h: v for h, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= self._max_cached:
                del self._cache[next(iter(self._cache))]  # the oldest entry
        self._cache[host] = (self._clock() + self._cache_seconds, outcome)
        return outcome

    async def _resolve(self, host: str, port: int) -> _Lookup:
        try:
            async with asyncio.timeout(self._timeout):
                addresses = await self._resolver(host, port)
        except TimeoutError:
            return _Lookup(unresolved=f"the host did not resolve within {self._timeout:g} s")
        except OSError:
            return _Lookup(unresolved="the host name does not resolve")
        if not addresses:
            return _Lookup(unresolved="the host name does not resolve")
        return _Lookup(refusal=addresses_refusal(addresses))


@dataclass(frozen=True, slots=True)
class _Lookup:
    """What a host's lookup found: why it is refused (the kind of address), why it did
    not resolve, or neither (every address allowed)."""

    refusal: str | None = None
    unresolved: str | None = None


class WebhookSender:
    """Posts signed webhooks through one keep-alive connection pool; one attempt per send."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        ssl_context: ssl.SSLContext | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._connect_timeout = connect_timeout
        self._total_timeout = total_timeout
        self._max_connections = max_connections
        # Loading the trust store blocks, so do it here rather than in the event loop.
        self._ssl_context = ssl_context or ssl.create_default_context(cafile=certifi.where())
        self._resolver = resolver or resolve_host
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

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
            target = self._checked_target(url)
            async with asyncio.timeout(self._total_timeout):
                status = await self._post(target, headers, body)
        except (RefusedTarget, UnresolvedHost, aiohttp.ClientError, TimeoutError) as exc:
            return failed_delivery(exc, watch.elapsed_ms())
        if 200 <= status < 300:
            return DeliveryOutcome.delivered(status, watch.elapsed_ms())
        return DeliveryOutcome.failed(f"HTTP {status}", watch.elapsed_ms(), status_code=status)

    def _checked_target(self, url: str) -> URL:
        """The URL to post to. An IP address in it is checked here: aiohttp connects to it
        without asking the resolver, which checks host names."""
        target = parse_target(url)
        address = literal_address(target)
        if address is not None and not self._allow_private:
            check_addresses([address])
        return target

    async def _post(self, url: URL, headers: dict[str, str], body: bytes) -> int:
        url, authorization = split_credentials(url)
        if authorization is not None:
            headers = {**headers, "authorization": authorization}
        session = self._open_session()
        async with session.post(url, data=body, headers=headers, allow_redirects=False) as answer:
            # The answer counts once the status is in; a broken body does not undo it.
            with contextlib.suppress(aiohttp.ClientError):
                await _drain(answer)
            return answer.status

    def _open_session(self) -> aiohttp.ClientSession:
        """The session, made on first use: aiohttp wants the running event loop."""
        if self._session is None:
            if self._closed:
                raise RuntimeError("the webhook sender is closed")
            self._session = aiohttp.ClientSession(
                connector=self._connector(),
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout),
                headers={"user-agent": USER_AGENT},
                auto_decompress=False,
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def _connector(self) -> aiohttp.TCPConnector:
        resolver = _CheckedResolver(self._resolver, self._allow_private, self._connect_timeout)
        return aiohttp.TCPConnector(
            resolver=resolver,
            ttl_dns_cache=DNS_CACHE_SECONDS,
            ssl=self._ssl_context,
            limit=self._max_connections,
            keepalive_timeout=KEEPALIVE_SECONDS,
        )

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> WebhookSender:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def _drain(answer: aiohttp.ClientResponse) -> None:
    """Read a short answer to its end so the connection can be reused."""
    received = 0
    async for chunk in answer.content.iter_any():
        received += len(chunk)
        if received > MAX_RESPONSE_BYTES:
            answer.close()  # drops the connection rather than read on
            return


# --- failures --------------------------------------------------------------------------

_PROTOCOL_ERRORS = (
    aiohttp.ServerDisconnectedError,  # closed without (a whole) answer
    aiohttp.ClientPayloadError,
    aiohttp.ClientResponseError,  # a malformed status line or header
)


def failed_delivery(exc: BaseException, duration_ms: float) -> DeliveryOutcome:
    """The outcome of a send that failed with `exc`; a refused target is not retried."""
    refusal = _found(exc, RefusedTarget)
    if refusal is not None:
        return DeliveryOutcome.failed(str(refusal), duration_ms, retryable=False)
    return DeliveryOutcome.failed(describe_failure(exc), duration_ms)


def describe_failure(exc: BaseException) -> str:
    """A short, stable text for a transport failure."""
    if _found(exc, UnresolvedHost) is not None:
        return "dns: host not found"
    if isinstance(exc, TimeoutError):  # aiohttp's timeout errors are TimeoutErrors too
        return "timeout"
    text = cause_text(exc)
    if text is not None:
        return text
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connect failed"
    if isinstance(exc, _PROTOCOL_ERRORS):
        return "protocol error"
    return f"transport error: {type(exc).__name__}"


def _found(exc: BaseException, kind: type[_ErrorT]) -> _ErrorT | None:
    """`exc` or the error it was raised from or during, if one is a `kind`: aiohttp may
    wrap what our resolver raised (today it passes it through)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
