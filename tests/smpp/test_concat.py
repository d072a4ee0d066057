"""User data headers, SAR TLVs, message_payload and reassembly in any order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.smpp import concat
from kodeord.smpp.concat import (
    Concat,
    ConcatMethod,
    InformationElement,
    Part,
    Reassembler,
    UdhError,
    UserDataHeader,
    build_udh,
    parse_udh,
    plan_parts,
    read_part,
    split_udh,
)
from kodeord.smpp.text import decode, split

PORT = InformationElement(concat.IEI_PORT16, bytes.fromhex("0b8423f0"))  # WAP push ports

# --- building and parsing the UDH ------------------------------------------------------

# concatenation values, UDH (hex)
UDH_CASES = [
    (Concat(0x42, 3, 1), "050003420301"),
    (Concat(0xFF, 255, 255), "050003ffffff"),
    (Concat(0x1234, 2, 2, ref16=True), "06080412340202"),
    (Concat(0, 2, 1, ref16=True), "06080400000201"),
]


@pytest.mark.parametrize(("values", "udh"), UDH_CASES)
def test_udh_vectors(values: Concat, udh: str) -> None:
    assert build_udh([values.to_element()]).hex() == udh
    assert parse_udh(bytes.fromhex(udh)).concat == values


@given(
    st.booleans(),
    st.integers(0, 0xFFFF),
    st.integers(1, 255).flatmap(lambda total: st.tuples(st.just(total), st.integers(1, total))),
)
def test_udh_round_trip(ref16: bool, ref: int, total_seq: tuple[int, int]) -> None:
    total, seq = total_seq
    values = Concat(ref if ref16 else ref & 0xFF, total, seq, ref16=ref16)
    udh = build_udh([values.to_element(), PORT])
    assert len(udh) == (7 if ref16 else 6) + 6
    header, body = split_udh(udh + b"body")
    assert body == b"body"
    assert header.concat == values
    assert header.without_concat() == UserDataHeader((PORT,))


def test_ref_wraps_to_its_field() -> None:
    assert Concat(0x1FF, 2, 1).to_element().data == bytes((0xFF, 2, 1))
    assert Concat(0x1FFFF, 2, 1, ref16=True).to_element().data == bytes.fromhex("ffff0201")


def test_parse_keeps_other_elements_in_order() -> None:
    udh = bytes.fromhex("0b05040b8423f000033c0201")
    header, body = split_udh(udh + b"xyz")
    assert header.elements == (PORT, InformationElement(0x00, bytes.fromhex("3c0201")))
    assert header.concat == Concat(0x3C, 2, 1)
    assert header.without_concat().elements == (PORT,)
    assert header.to_bytes() == udh
    assert body == b"xyz"


# UDH (hex), the concatenation the receiver must see
IGNORED_CONCAT_CASES = [
    ("050003420000", None),  # total 0: ignore the IE (TS 23.040 §9.2.3.24.1)
    ("050003420200", None),  # seq 0
    ("050003420203", None),  # seq above total
    ("0400024202", None),  # wrong length
    ("0408024242", None),  # 16-bit IE too short
    ("050003420101", Concat(0x42, 1, 1)),
    ("0a00034202010003430202", Concat(0x43, 2, 2)),  # repeated: the last wins
    ("0a00034202010003430200", Concat(0x42, 2, 1)),  # ...unless it is invalid
    ("00", None),  # empty header
]


@pytest.mark.parametrize(("udh", "expected"), IGNORED_CONCAT_CASES)
def test_concat_from_udh(udh: str, expected: Concat | None) -> None:
    assert parse_udh(bytes.fromhex(udh)).concat == expected


# user data (hex) that cannot hold a UDH
MALFORMED_UDH_CASES = [
    "",
    "05",  # UDHL past the end
    "050003",
    "0300050400",  # IE length past the header
    "0100",  # IE without its length
]


@pytest.mark.parametrize("data", MALFORMED_UDH_CASES)
def test_malformed_udh(data: str) -> None:
    with pytest.raises(UdhError):
        split_udh(bytes.fromhex(data))


@given(st.binary())
def test_split_udh_raises_only_udh_error(data: bytes) -> None:
    try:
        header, body = split_udh(data)
    except UdhError:
        return
    assert body == data[1 + data[0] :]
    assert b"".join(e.to_bytes() for e in header.elements) == data[1 : 1 + data[0]]


def test_element_limits() -> None:
    with pytest.raises(ValueError):
        InformationElement(256, b"")
    with pytest.raises(ValueError):
        InformationElement(0, bytes(256))
    with pytest.raises(ValueError):
        Concat(1, 2, 3).to_element()


# --- what goes into each part ----------------------------------------------------------

CHUNKS = (b"one", b"two", b"three")


def test_udh8_parts() -> None:
    parts = plan_parts(CHUNKS, ConcatMethod.UDH8, ref=0x142)
    assert [p.short_message.hex() for p in parts] == [
        "050003420301" + b"one".hex(),
        "050003420302" + b"two".hex(),
        "050003420303" + b"three".hex(),
    ]
    assert all(p.udhi and p.esm_class_bits == 0x40 and not p.tlvs for p in parts)


def test_udh16_parts_with_port_addressing() -> None:
    parts = plan_parts(CHUNKS[:2], ConcatMethod.UDH16, ref=0x1234, extra=[PORT])
    assert parts[1].short_message.hex() == "0c08041234020205040b8423f0" + b"two".hex()


def test_sar_parts() -> None:
    parts = plan_parts(CHUNKS, ConcatMethod.SAR, ref=0x10203)
    assert [p.short_message for p in parts] == list(CHUNKS)
    assert parts[2].tlvs == {0x020C: b"\x02\x03", 0x020E: b"\x03", 0x020F: b"\x03"}
    assert not any(p.udhi for p in parts)


def test_payload_part() -> None:
    (part,) = plan_parts(CHUNKS, ConcatMethod.PAYLOAD, ref=1)
    assert part == Part(b"", tlvs={0x0424: b"onetwothree"})


# method, single-part message expected
SINGLE_PART_CASES = [
    (ConcatMethod.UDH8, Part(b"hi")),
    (ConcatMethod.UDH16, Part(b"hi")),
    (ConcatMethod.SAR, Part(b"hi")),
    (ConcatMethod.PAYLOAD, Part(b"", tlvs={0x0424: b"hi"})),
]


@pytest.mark.parametrize(("method", "expected"), SINGLE_PART_CASES)
def test_single_part_has_no_concatenation(method: ConcatMethod, expected: Part) -> None:
    assert plan_parts([b"hi"], method, ref=7) == [expected]


def test_single_part_keeps_extra_elements() -> None:
    (part,) = plan_parts([b"hi"], ConcatMethod.UDH8, ref=7, extra=[PORT])
    assert part == Part(bytes.fromhex("0605040b8423f0") + b"hi", udhi=True)


# chunks, method, extra: all refused
REFUSED_PLAN_CASES = [
    ([], ConcatMethod.UDH8, ()),
    ([b"x"] * 256, ConcatMethod.UDH8, ()),
    ([b"x"] * 256, ConcatMethod.SAR, ()),
    ([b"x"], ConcatMethod.SAR, (PORT,)),
    ([bytes(0x10000)], ConcatMethod.PAYLOAD, ()),
]


@pytest.mark.parametrize(("chunks", "method", "extra"), REFUSED_PLAN_CASES)
def test_plan_refuses(
    chunks: list[bytes], method: ConcatMethod, extra: tuple[InformationElement, ...]
) -> None:
    with pytest.raises(ValueError):
        plan_parts(chunks, method, ref=1, extra=extra)


# method, header octets kept free per part
@pytest.mark.parametrize(
    ("method", "octets"),
    [
        (ConcatMethod.UDH8, 6),
        (ConcatMethod.UDH16, 7),
        (ConcatMethod.SAR, 6),
        (ConcatMethod.PAYLOAD, 0),
    ],
)
def test_udh_length(method: ConcatMethod, octets: int) -> None:
    assert concat.udh_length(method) == octets


# --- reading a received part -----------------------------------------------------------

# short_message (hex), esm_class, tlvs, payload, concat
READ_CASES = [
    ("6869", 0, {}, b"hi", None),
    ("0500034202016869", 0x40, {}, b"hi", Concat(0x42, 2, 1)),
    ("0500034202016869", 0x43, {}, b"hi", Concat(0x42, 2, 1)),  # Kannel's esm_class 3
    ("0500034202016869", 0, {}, bytes.fromhex("0500034202016869"), None),  # no UDHI
    (
        "6869",
        0,
        {0x020C: b"\x01\x02", 0x020E: b"\x03", 0x020F: b"\x02"},
        b"hi",
        Concat(0x102, 3, 2, True),
    ),
    ("6869", 0, {0x020C: b"\x07", 0x020E: b"\x03", 0x020F: b"\x02"}, b"hi", Concat(7, 3, 2, True)),
    ("6869", 0, {0x020C: b"\x01", 0x020E: b"\x03", 0x020F: b"\x04"}, b"hi", None),  # seq > total
    ("6869", 0, {0x020C: b"\x01", 0x020E: b"\x03"}, b"hi", None),  # incomplete SAR
    ("", 0, {0x0424: b"long"}, b"long", None),
    ("", 0x40, {0x0424: bytes.fromhex("050003010201") + b"x"}, b"x", Concat(1, 2, 1)),
]


@pytest.mark.parametrize(("short_message", "esm_class", "tlvs", "payload", "expected"), READ_CASES)
def test_read_part(
    short_message: str,
    esm_class: int,
    tlvs: dict[int, bytes],
    payload: bytes,
    expected: Concat | None,
) -> None:
    part = read_part(bytes.fromhex(short_message), esm_class, tlvs)
    assert part.payload == payload
    assert part.concat == expected


def test_read_part_keeps_port_addressing() -> None:
    udh = build_udh([Concat(9, 2, 2).to_element(), PORT])
    part = read_part(udh + b"x", 0x40, {})
    assert part.header.without_concat().elements == (PORT,)


# --- reassembly ------------------------------------------------------------------------

KEY = ("4741234567", "2077")


@given(st.integers(2, 12).flatmap(lambda n: st.permutations(range(1, n + 1))))
def test_reassembly_in_any_order(order: list[int]) -> None:
    total = len(order)
    reassembler = Reassembler(timeout=60)
    results = [reassembler.add(KEY, 5, total, seq, b"%d" % seq, now=float(seq)) for seq in order]
    assert results[:-1] == [None] * (total - 1)
    assert results[-1] == [b"%d" % seq for seq in range(1, total + 1)]
    assert len(reassembler) == 0


@given(
    st.integers(2, 8).flatmap(
        lambda n: st.lists(st.integers(1, n), min_size=1, max_size=30).map(lambda seqs: (n, seqs))
    )
)
def test_duplicates_are_ignored(case: tuple[int, list[int]]) -> None:
    total, seqs = case
    reassembler = Reassembler()
    done = [r for seq in seqs if (r := reassembler.add(KEY, 1, total, seq, bytes([seq]), 0.0))]
    # Model: a message completes when every seq has been seen since the last completion.
    completions, seen = 0, set()
    for seq in seqs:
        seen.add(seq)
        if len(seen) == total:
            completions, seen = completions + 1, set()
    assert done == [[bytes([s]) for s in range(1, total + 1)]] * completions
    assert len(reassembler) == (1 if seen else 0)


def test_duplicate_keeps_first_copy() -> None:
    reassembler = Reassembler()
    assert reassembler.add(KEY, 1, 2, 1, b"first", 0.0) is None
    assert reassembler.add(KEY, 1, 2, 1, b"again", 1.0) is None
    assert reassembler.add(KEY, 1, 2, 2, b"two", 2.0) == [b"first", b"two"]


# total, seq: a part that stands alone
@pytest.mark.parametrize(("total", "seq"), [(1, 1), (0, 0), (0, 1), (3, 0), (3, 4)])
def test_single_or_invalid_part_stands_alone(total: int, seq: int) -> None:
    reassembler = Reassembler()
    assert reassembler.add(KEY, 1, total, seq, b"x", 0.0) == [b"x"]
    assert len(reassembler) == 0


def test_groups_apart_by_key_ref_and_total() -> None:
    reassembler = Reassembler()
    other = ("4799999999", "2077")
    assert reassembler.add(KEY, 1, 2, 1, b"a1", 0.0) is None
    assert reassembler.add(other, 1, 2, 2, b"b2", 0.0) is None
    assert reassembler.add(KEY, 2, 2, 2, b"c2", 0.0) is None
    assert reassembler.add(KEY, 1, 3, 2, b"d2", 0.0) is None
    assert len(reassembler) == 4
    assert reassembler.add(KEY, 1, 2, 2, b"a2", 0.0) == [b"a1", b"a2"]


def test_timeout() -> None:
    reassembler = Reassembler(timeout=30)
    reassembler.add(KEY, 1, 3, 3, b"c", now=100.0)
    reassembler.add(KEY, 1, 3, 1, b"a", now=110.0)
    reassembler.add(KEY, 2, 2, 1, b"x", now=120.0)
    assert reassembler.next_deadline() == 130.0
    assert reassembler.expire(129.9) == []
    (expired,) = reassembler.expire(130.0)
    assert (expired.key, expired.ref, expired.total) == (KEY, 1, 3)
    assert expired.parts == ((1, b"a"), (3, b"c"))
    assert (expired.started, expired.evicted) == (100.0, False)
    assert reassembler.next_deadline() == 150.0
    assert [g.ref for g in reassembler.expire(1000.0)] == [2]
    assert reassembler.next_deadline() is None
    assert len(reassembler) == 0


def test_expired_group_starts_afresh() -> None:
    reassembler = Reassembler(timeout=10)
    reassembler.add(KEY, 1, 2, 1, b"old", 0.0)
    reassembler.expire(10.0)
    assert reassembler.add(KEY, 1, 2, 2, b"late", 11.0) is None
    assert len(reassembler) == 1


def test_bounded_groups_evict_oldest() -> None:
    reassembler = Reassembler(timeout=60, max_groups=2)
    for ref in range(4):
        assert reassembler.add(KEY, ref, 2, 1, b"%d" % ref, now=float(ref)) is None
    assert len(reassembler) == 2
    assert reassembler.next_deadline() == 0.0  # evicted groups are due at once
    evicted = reassembler.expire(3.0)
    assert [(g.ref, g.evicted) for g in evicted] == [(0, True), (1, True)]
    assert reassembler.add(KEY, 3, 2, 2, b"x", 4.0) == [b"3", b"x"]


@pytest.mark.parametrize(("timeout", "max_groups"), [(0, 1), (-1, 1), (1, 0)])
def test_reassembler_settings(timeout: float, max_groups: int) -> None:
    with pytest.raises(ValueError):
        Reassembler(timeout=timeout, max_groups=max_groups)


# --- whole path: split, plan, read, reassemble -----------------------------------------


@pytest.mark.parametrize("method", [ConcatMethod.UDH8, ConcatMethod.UDH16, ConcatMethod.SAR])
@pytest.mark.parametrize("text", ["Blåbær " * 60 + "€", "Hei 😀 " * 40])
def test_split_send_receive(method: ConcatMethod, text: str) -> None:
    segments = split(text, udh_length=concat.udh_length(method))
    parts = plan_parts(segments.parts, method, ref=77)
    reassembler = Reassembler()
    result = None
    for part in reversed(parts):
        received = read_part(part.short_message, part.esm_class_bits, part.tlvs)
        assert received.concat is not None
        c = received.concat
        result = reassembler.add(KEY, c.ref, c.total, c.seq, received.payload, 0.0)
    assert result is not None
    assert decode(b"".join(result), segments.encoding) == text
    assert segments.count == len(parts) > 1
