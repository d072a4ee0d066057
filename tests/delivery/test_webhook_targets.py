"""Which webhook targets we refuse (SSRF): the address table on its own, then real sends
through the system resolver, with a live receiver on 127.0.0.1 that must see nothing
unless `allow_private` is set; then the same rules when a URL is configured
(`TargetCheck`), with names resolved through a table."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from datetime import UTC, datetime

import pytest

from kodeord.adapters.webhooks import (
    RefusedAddress,
    RefusedTarget,
    TargetCheck,
    UnresolvedHost,
    WebhookSender,
    literal_address,
    parse_target,
)
from kodeord.domain.signing import new_signing_secret
from kodeord.domain.targets import address_refusal
from tests.delivery.peers import async_test, http_receiver

SECRET = new_signing_secret(b"k" * 32)
PAYLOAD = {"type": "test"}

ADDRESSES = [
    # IPv4
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "private"),  # "this network"
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "metadata"),  # AWS, GCP, Azure …
    ("169.254.170.2", "metadata"),  # AWS ECS
    ("100.100.100.200", "metadata"),  # Alibaba
    ("192.0.0.192", "metadata"),  # Oracle
    ("169.254.1.1", "link-local"),
    ("100.64.0.1", "shared"),  # carrier-grade NAT
    ("100.127.255.255", "shared"),
    ("192.0.2.1", "private"),  # documentation
    ("198.18.0.1", "private"),  # benchmarking
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "private"),  # reserved, listed by ipaddress as private
    ("255.255.255.255", "private"),
    ("8.8.8.8", None),
    ("1.1.1.1", None),
    ("172.32.0.1", None),
    ("100.128.0.1", None),
    ("193.69.0.1", None),
    # IPv6
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fd00:ec2::254", "metadata"),  # AWS over IPv6
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "private"),  # deprecated site-local
    ("ff02::1", "multicast"),
    ("2001:db8::1", "private"),  # documentation
    ("100::1", "private"),  # discard-only
    ("::127.0.0.1", "reserved"),  # deprecated IPv4-compatible
    ("2606:4700:4700::1111", None),
    ("2a00:1450:4010:c0e::8a", None),
    # IPv6 that lead to IPv4: judged by the IPv4 address
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "metadata"),
    ("::ffff:169.254.1.1", "link-local"),
    ("::ffff:0.0.0.0", "unspecified"),
    ("::ffff:8.8.8.8", None),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
    ("2002:808:808::", None),  # 6to4 of 8.8.8.8
    ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 of 169.254.169.254
    ("64:ff9b::a9fe:101", "link-local"),  # NAT64 of 169.254.1.1
    ("64:ff9b::808:808", None),  # NAT64 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "kind"), ADDRESSES)
def test_address_refusal(address: str, kind: str | None) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == kind


# A host of digits and dots is connected to without a lookup, so it is read here the way
# the C library reads it and sent on as the dotted quad it stands for.
TARGETS = [
    ("https://hooks.example/in?x=1", "https://hooks.example/in?x=1", None),
    ("HTTP://Hooks.Example:8080/in", "http://hooks.example:8080/in", None),
    ("http://bücher.example/", "http://xn--bcher-kva.example/", None),
    ("http://0x7f000001/", "http://0x7f000001/", None),  # a name to the resolver
    ("http://93.184.215.14/", "http://93.184.215.14/", "93.184.215.14"),
    ("http://127.1:8080/hook", "http://127.0.0.1:8080/hook", "127.0.0.1"),
    ("http://2130706433/", "http://127.0.0.1/", "127.0.0.1"),
    ("http://10.1/", "http://10.0.0.1/", "10.0.0.1"),
    ("http://1.2.3/", "http://1.2.0.3/", "1.2.0.3"),
    ("http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "::ffff:7f00:1"),
    ("http://0177.0.0.1/", "refused: invalid URL", None),  # a dotted quad must be exact
    ("http://01.2.3.4/", "refused: invalid URL", None),
    ("http://256.1.1.1/", "refused: invalid URL", None),
    ("http://999.1/", "refused: invalid URL", None),
    ("http://1.2.3.4.5/", "refused: invalid URL", None),
    ("http://hooks.exa\nmple/", "refused: invalid URL", None),
    ("http://hooks.example:99999/", "refused: invalid URL", None),
]


@pytest.mark.parametrize(("url", "parsed", "address"), TARGETS)
def test_parse_target(url: str, parsed: str, address: str | None) -> None:
    try:
        target = parse_target(url)
    except RefusedTarget as refusal:
        assert str(refusal) == parsed
    else:
        assert (str(target), literal_address(target)) == (parsed, address)


# Every URL points at a live receiver (or would, were it allowed) and must not reach it.
REFUSED_URLS = [
    ("http://127.0.0.1:{port}/hook", "refused: loopback address"),
    ("http://localhost:{port}/hook", "refused: loopback address"),
    ("http://LOCALHOST:{port}/hook", "refused: loopback address"),
    ("http://127.1:{port}/hook", "refused: loopback address"),
    ("http://2130706433:{port}/hook", "refused: loopback address"),  # 127.0.0.1 as a number
    ("http://0x7f000001:{port}/hook", "refused: loopback address"),
    ("http://[::1]:{port}/hook", "refused: loopback address"),
    ("http://[::ffff:127.0.0.1]:{port}/hook", "refused: loopback address"),
    ("http://[::ffff:7f00:1]:{port}/hook", "refused: loopback address"),
    ("http://[2002:7f00:1::]:{port}/hook", "refused: loopback address"),
    ("http://0.0.0.0:{port}/hook", "refused: unspecified address"),
    ("http://[::]:{port}/hook", "refused: unspecified address"),
    ("http://user:pw@127.0.0.1:{port}/hook", "refused: loopback address"),
    ("https://127.0.0.1:{port}/hook", "refused: loopback address"),
    ("http://10.1.2.3/hook", "refused: private address"),
    ("http://192.168.0.1:8080/hook", "refused: private address"),
    ("http://169.254.169.254/latest/meta-data/", "refused: metadata address"),
    ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "refused: metadata address"),
    ("http://169.254.1.1/hook", "refused: link-local address"),
    ("http://100.64.0.1/hook", "refused: shared address"),
    ("http://224.0.0.1/hook", "refused: multicast address"),
    ("http://[fe80::1]/hook", "refused: link-local address"),
    ("http://[fd00:ec2::254]/hook", "refused: metadata address"),
    ("http://[fd00::1]/hook", "refused: private address"),
    ("http://[ff02::1]/hook", "refused: multicast address"),
    # not http(s), or not a URL at all
    ("ftp://127.0.0.1:{port}/hook", "refused: not an http(s) URL"),
    ("file:///etc/passwd", "refused: not an http(s) URL"),
    ("gopher://127.0.0.1:{port}/_hook", "refused: not an http(s) URL"),
    ("ws://127.0.0.1:{port}/hook", "refused: not an http(s) URL"),
    ("javascript:alert(1)", "refused: not an http(s) URL"),
    ("127.0.0.1:{port}/hook", "refused: not an http(s) URL"),
    ("", "refused: not an http(s) URL"),
    ("http://", "refused: invalid URL"),
    ("http:///hook", "refused: invalid URL"),
    ("http://[::1/hook", "refused: invalid URL"),
]


@pytest.mark.parametrize(("template", "error"), REFUSED_URLS)
@async_test
async def test_refused_targets_are_not_retryable_and_never_reached(
    template: str, error: str
) -> None:
    with http_receiver() as receiver:
        async with WebhookSender() as sender:
            url = template.format(port=receiver.port)
            outcome = await sender.send(url, SECRET, "m", PAYLOAD, timestamp=datetime.now(UTC))
        assert receiver.received == []
    assert (outcome.ok, outcome.error, outcome.retryable, outcome.status_code) == (
        False,
        error,
        False,
        None,
    )


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://127.1:{port}/hook",
        "http://2130706433:{port}/hook",
    ],
)
@async_test
async def test_allow_private_lets_loopback_through(template: str) -> None:
    with http_receiver() as receiver:
        async with WebhookSender(allow_private=True) as sender:
            url = template.format(port=receiver.port)
            outcome = await sender.send(url, SECRET, "m", PAYLOAD, timestamp=datetime.now(UTC))
        assert outcome.ok, outcome
        assert [r.path for r in receiver.received] == ["/hook"]


@async_test
async def test_allow_private_still_refuses_other_schemes() -> None:
    async with WebhookSender(allow_private=True) as sender:
        url = "file:///etc/passwd"
        outcome = await sender.send(url, SECRET, "m", PAYLOAD, timestamp=datetime.now(UTC))
    assert (outcome.error, outcome.retryable) == ("refused: not an http(s) URL", False)


# --- configuration time: TargetCheck ---------------------------------------------------

# Names resolve through this table (a name not in it does not resolve); "slow.test"
# answers after the check's time limit.
NAMES = {
    "hooks.test": ["93.184.215.14"],
    "v6.test": ["2606:4700:4700::1111"],
    "localhost": ["127.0.0.1", "::1"],
    "internal.test": ["10.0.0.5"],
    "mixed.test": ["93.184.215.14", "192.168.0.9"],  # one bad address is enough
    "metadata.test": ["169.254.169.254"],
    "cgnat.test": ["100.64.1.1"],
    "linklocal.test": ["fe80::1"],
    "multicast.test": ["239.1.1.1"],
    "zero.test": ["0.0.0.0"],
    "reserved.test": ["240.0.0.1"],
    "empty.test": [],
}


async def table_resolver(host: str, port: int) -> list[str]:
    if host == "slow.test":
        await asyncio.sleep(5)
    if host not in NAMES:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return NAMES[host]


ALLOWED = None
NOT_HTTP = (RefusedTarget, "refused: not an http(s) URL")
INVALID = (RefusedTarget, "refused: invalid URL")
NO_NAME = (UnresolvedHost, "the host name does not resolve")


def refused(kind: str) -> tuple[type[Exception], str]:
    return (RefusedAddress, f"refused: {kind} address")


# (url, refused without allow_private, refused with it)
CONFIGURED = [
    ("https://93.184.215.14/hook", ALLOWED, ALLOWED),  # a public literal
    ("https://[2606:4700:4700::1111]/hook", ALLOWED, ALLOWED),
    ("https://hooks.test/hook", ALLOWED, ALLOWED),
    ("https://user:pw@hooks.test:8443/hook?x=1", ALLOWED, ALLOWED),
    ("http://v6.test/", ALLOWED, ALLOWED),
    # each kind of address, literal and resolved
    ("http://127.0.0.1:8080/hook", refused("loopback"), ALLOWED),
    ("http://127.1/hook", refused("loopback"), ALLOWED),
    ("http://2130706433/hook", refused("loopback"), ALLOWED),
    ("http://[::1]/hook", refused("loopback"), ALLOWED),
    ("http://[::ffff:127.0.0.1]/hook", refused("loopback"), ALLOWED),
    ("http://localhost/hook", refused("loopback"), ALLOWED),
    ("http://10.1.2.3/hook", refused("private"), ALLOWED),
    ("http://192.168.0.1/hook", refused("private"), ALLOWED),
    ("http://[fd12::1]/hook", refused("private"), ALLOWED),
    ("http://internal.test/hook", refused("private"), ALLOWED),
    ("http://mixed.test/hook", refused("private"), ALLOWED),
    ("http://169.254.169.254/latest/meta-data/", refused("metadata"), ALLOWED),
    ("http://[fd00:ec2::254]/latest/meta-data/", refused("metadata"), ALLOWED),
    ("http://100.100.100.200/", refused("metadata"), ALLOWED),
    ("http://metadata.test/", refused("metadata"), ALLOWED),
    ("http://169.254.1.1/hook", refused("link-local"), ALLOWED),
    ("http://linklocal.test/hook", refused("link-local"), ALLOWED),
    ("http://100.64.0.1/hook", refused("shared"), ALLOWED),
    ("http://cgnat.test/hook", refused("shared"), ALLOWED),
    ("http://0.0.0.0/hook", refused("unspecified"), ALLOWED),
    ("http://[::]/hook", refused("unspecified"), ALLOWED),
    ("http://zero.test/hook", refused("unspecified"), ALLOWED),
    ("http://224.0.0.1/hook", refused("multicast"), ALLOWED),
    ("http://multicast.test/hook", refused("multicast"), ALLOWED),
    ("http://reserved.test/hook", refused("private"), ALLOWED),  # 240/4: ipaddress says so
    ("http://[::127.0.0.1]/hook", refused("reserved"), ALLOWED),
    # names that do not resolve: refused (see app/targets.py)
    ("http://nowhere.test/hook", NO_NAME, ALLOWED),
    ("http://empty.test/hook", NO_NAME, ALLOWED),
    ("http://slow.test/hook", (UnresolvedHost, "the host did not resolve within 0.2 s"), ALLOWED),
    # the shape is refused whatever the setting
    ("http://hooks.test/a\x00b", INVALID, INVALID),
    ("http://hooks.test/a\r\nX-Injected: 1", INVALID, INVALID),
    ("http://hooks.te\nst/", INVALID, INVALID),
    ("http://hooks.test/\x7f", INVALID, INVALID),
    ("http://hooks.test:99999/", INVALID, INVALID),
    ("http://0177.0.0.1/", INVALID, INVALID),
    ("http://", INVALID, INVALID),
    ("ftp://hooks.test/", NOT_HTTP, NOT_HTTP),
    ("file:///etc/passwd", NOT_HTTP, NOT_HTTP),
    ("gopher://hooks.test/_x", NOT_HTTP, NOT_HTTP),
    ("javascript:alert(1)", NOT_HTTP, NOT_HTTP),
]


async def _outcome(check: TargetCheck, url: str) -> tuple[type[Exception], str] | None:
    try:
        await check.check(url)
    except (RefusedTarget, UnresolvedHost) as exc:
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize(("url", "strict", "private_allowed"), CONFIGURED)
@async_test
async def test_target_check_at_configuration(
    url: str,
    strict: tuple[type[Exception], str] | None,
    private_allowed: tuple[type[Exception], str] | None,
) -> None:
    check = TargetCheck(resolver=table_resolver, timeout=0.2)
    allowing = TargetCheck(resolver=table_resolver, timeout=0.2, allow_private=True)
    assert await _outcome(check, url) == strict
    assert await _outcome(allowing, url) == private_allowed


class CountingResolver:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return await table_resolver(host, port)


@async_test
async def test_target_check_caches_answers_refusals_and_failures_briefly() -> None:
    resolver = CountingResolver()
    clock = [100.0]
    check = TargetCheck(resolver=resolver, cache_seconds=30, clock=lambda: clock[0])
    urls = ["https://hooks.test/a", "https://hooks.test/b?c=1", "http://internal.test/"]
    for _ in range(3):
        for url in [*urls, "http://nowhere.test/"]:
            await _outcome(check, url)
    assert resolver.calls == ["hooks.test", "internal.test", "nowhere.test"]
    assert await _outcome(check, "http://internal.test/") == refused("private")
    clock[0] += 31  # the cache has run out: looked up again
    assert await _outcome(check, "https://hooks.test/a") is None
    assert resolver.calls[-1] == "hooks.test" and len(resolver.calls) == 4
    # a literal address or a refused shape needs no lookup
    await _outcome(check, "http://10.0.0.1/")
    await _outcome(check, "ftp://other.test/")
    assert len(resolver.calls) == 4


@async_test
async def test_target_check_keeps_at_most_max_cached_hosts() -> None:
    resolver = CountingResolver()
    check = TargetCheck(resolver=resolver, max_cached=2)
    for host in ("hooks.test", "v6.test", "internal.test", "hooks.test"):
        await _outcome(check, f"http://{host}/")
    # hooks.test, the oldest, made room for internal.test and was looked up again
    assert resolver.calls == ["hooks.test", "v6.test", "internal.test", "hooks.test"]
