"""Which IP addresses the gateway may send HTTP requests to (webhooks, status callbacks).

The one home of the address rules (SSRF). They apply twice: when a customer configures a
URL (its literal address, or every address its host resolves to) and again at delivery,
where the connection goes only to a checked address (adapters/webhooks.py).

Rules:
- Only global unicast addresses are allowed. Refused, by kind, first match wins: cloud
  metadata services, unspecified, loopback, link-local, multicast, shared (carrier-grade
  NAT, RFC 6598), private, reserved, and anything else not global.
- An IPv6 address that leads to an IPv4 address (IPv4-mapped, 6to4, NAT64 well-known
  prefix) is judged by that IPv4 address.
- A refusal names the kind of address, never the address: answers and logs must not
  become a probe of the provider's internal DNS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SHARED_V4 = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix

# Instance metadata services, which hand out cloud credentials. Their ranges are refused
# anyway; naming them makes the refusal say what was at stake.
METADATA = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean …
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)


def address_refusal(address: IpAddress) -> str | None:
    """The kind of address we refuse ("loopback", "private" …), or None to allow it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = embedded_ipv4(address)
        if embedded is not None:
            return address_refusal(embedded)
    for kind, applies in REFUSED_KINDS:
        if applies(address):
            return kind
    return None


def addresses_refusal(addresses: Iterable[str]) -> str | None:
    """The kind of the first refused address among IP strings (a zone `%eth0` ignored);
    "unusable" for text that is no IP address; None when every one is allowed."""
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.partition("%")[0])
        except ValueError:
            return "unusable"
        kind = address_refusal(address)
        if kind is not None:
            return kind
    return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 address leads to."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def _is_private(address: IpAddress) -> bool:
    site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
    return address.is_private or site_local


REFUSED_KINDS: tuple[tuple[str, Callable[[IpAddress], bool]], ...] = (
    ("metadata", lambda a: a in METADATA),
    ("unspecified", lambda a: a.is_unspecified),
    ("loopback", lambda a: a.is_loopback),
    ("link-local", lambda a: a.is_link_local),
    ("multicast", lambda a: a.is_multicast),
    ("shared", lambda a: a.version == 4 and a in SHARED_V4),
    ("private", _is_private),
    ("reserved", lambda a: a.is_reserved),
    ("non-global", lambda a: not a.is_global),
)
