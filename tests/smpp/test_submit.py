"""An MT as submit_sm, an MO as deliver_sm, and SMPP times: tables of cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kodeord.smpp.constants import Npi, Ton
from kodeord.smpp.message import decode_parts, read_body
from kodeord.smpp.submit import (
    Address,
    Outgoing,
    absolute_time,
    address,
    mo_delivers,
    mt_submits,
    parse_time,
    phone_address,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
INTL, UNKNOWN = (Ton.INTERNATIONAL, Npi.ISDN), (Ton.UNKNOWN, Npi.UNKNOWN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+4791234567", Address(*INTL, "4791234567")),
        ("2077", Address(*UNKNOWN, "2077")),
        ("4791234567", Address(*UNKNOWN, "4791234567")),  # no "+": as it came
        ("Pizza", Address(*UNKNOWN, "Pizza")),
    ],
)
def test_address(text: str, expected: Address) -> None:
    assert address(text) == expected


@pytest.mark.parametrize("phone", ["+4791234567", "4791234567"])
def test_a_phone_is_international(phone: str) -> None:
    assert phone_address(phone) == Address(*INTL, "4791234567")


@pytest.mark.parametrize(
    ("text", "parts", "esm_class"),
    [
        ("Hei", 1, 0x00),
        ("x" * 160, 1, 0x00),
        ("x" * 161, 2, 0x40),  # UDHI: each part carries the UDH
        ("Blåbær 😀", 1, 0x00),
        ("😀" * 36, 2, 0x40),
    ],
)
def test_an_mt_becomes_its_parts(text: str, parts: int, esm_class: int) -> None:
    expires = NOW + timedelta(hours=1)
    submits = mt_submits(Outgoing(7, "2077", "+4791234567", text, expires))
    assert [seq for seq, _ in submits] == list(range(1, parts + 1))
    for _, pdu in submits:
        assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (0, 0, "2077")
        assert (pdu.dest_addr_ton, pdu.dest_addr_npi) == (1, 1)
        assert pdu.destination_addr == "4791234567"
        assert pdu.esm_class == esm_class
        assert pdu.registered_delivery == 1
        assert pdu.validity_period == "261126130000000+"
    bodies = [read_body(pdu).payload for _, pdu in submits]
    assert decode_parts(bodies, submits[0][1].data_coding) == text


def test_the_same_mt_gives_the_same_parts_and_no_validity_when_none() -> None:
    outgoing = Outgoing(200, "2077", "+4791234567", "x" * 400)
    assert mt_submits(outgoing) == mt_submits(outgoing)
    assert {pdu.validity_period for _, pdu in mt_submits(outgoing)} == {""}


@pytest.mark.parametrize(
    ("sender", "ton", "source"),
    [("+4791234567", 1, "4791234567"), ("4791234567", 0, "4791234567"), ("Telenor", 0, "Telenor")],
)
def test_an_mo_becomes_deliver_sm(sender: str, ton: int, source: str) -> None:
    (pdu,) = mo_delivers(sender, "2077", "PIZZA", ref=1)
    assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (ton, ton, source)
    assert pdu.destination_addr == "2077"
    assert len(mo_delivers(sender, "2077", "x" * 400, ref=1)) == 3


def test_absolute_time() -> None:
    assert absolute_time(NOW) == "261126120000000+"
    oslo = datetime(2026, 11, 26, 13, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert absolute_time(oslo) == "261126120005000+"
    with pytest.raises(ValueError, match="timezone"):
        absolute_time(datetime(2026, 11, 26, 12, 0))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("261126120000000+", NOW),
        ("261126130000004+", NOW),  # 13:00 at +01:00
        ("261126110000004-", NOW),  # 11:00 at -01:00
        ("261126120000500+", NOW + timedelta(milliseconds=500)),
        ("000000010000000R", NOW + timedelta(hours=1)),
        ("000102000000000R", NOW + timedelta(days=32)),  # a month counts 30 days
        ("010000000000000R", NOW + timedelta(days=365)),
    ],
)
def test_parse_time(text: str, expected: datetime | None) -> None:
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize("text", ["tomorrow", "2611261200000+", "261126120000000X", "1" * 17])
def test_an_unreadable_time_raises(text: str) -> None:
    with pytest.raises(ValueError, match="not an SMPP time"):
        parse_time(text, NOW)


def test_absolute_time_reads_back() -> None:
    assert parse_time(absolute_time(NOW), NOW) == NOW
