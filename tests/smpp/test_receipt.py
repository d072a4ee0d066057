"""Delivery receipts as operators send them: text, TLVs, both; building them back."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.smpp.receipt import (
    MessageState,
    Receipt,
    ReceiptParseError,
    build_receipt_text,
    build_receipt_tlvs,
    candidate_ids,
    ids_match,
    parse_receipt,
    parse_receipt_text,
    receipt_from_tlvs,
)

S = MessageState
dt = datetime

# receipt text as received, the receipt we read from it
TEXT_CASES = [
    (  # SMPP 3.4 Appendix B
        "id:0123456789 sub:001 dlvrd:001 submit date:0610191018 done date:0610191018"
        " stat:DELIVRD err:000 text:Hello world",
        Receipt(
            "0123456789",
            S.DELIVERED,
            1,
            1,
            dt(2006, 10, 19, 10, 18),
            dt(2006, 10, 19, 10, 18),
            0,
            text="Hello world",
        ),
    ),
    (  # 12-digit dates, UUID id, "Text:", stat word without its key (ksmppd #108)
        "id:ce5bc5a9-4f7d-4282-9244-2e1022a9335c sub:000 dlvrd:000 submit date:180903120815"
        " done date:180903120816 DELIVRD err:000 Text:",
        Receipt(
            "ce5bc5a9-4f7d-4282-9244-2e1022a9335c",
            S.DELIVERED,
            0,
            0,
            dt(2018, 9, 3, 12, 8, 15),
            dt(2018, 9, 3, 12, 8, 16),
            0,
        ),
    ),
    (  # no sub, dlvrd or text (jsmpp #67)
        "id:0654354026 submit date:2302101454 done date:2302101454 stat:DELIVRD err:000",
        Receipt(
            "0654354026",
            S.DELIVERED,
            None,
            None,
            dt(2023, 2, 10, 14, 54),
            dt(2023, 2, 10, 14, 54),
            0,
        ),
    ),
    (  # 4-digit err, a GSM escape left in the text (php-smpp #70)
        "id:117062714244798261 sub:001 dlvrd:001 submit date:1706271624 done date:1706271624"
        " stat:DELIVRD err:0000 text:H\x1bello world",
        Receipt(
            "117062714244798261",
            S.DELIVERED,
            1,
            1,
            dt(2017, 6, 27, 16, 24),
            dt(2017, 6, 27, 16, 24),
            0,
            text="H\x1bello world",
        ),
    ),
    (  # upper case keys, hex id, 0x error
        "ID:7A3F1B2C SUB:001 DLVRD:000 SUBMIT DATE:2401311159 DONE DATE:2402010000"
        " STAT:UNDELIV ERR:0x0B TEXT:Kode 1234",
        Receipt(
            "7A3F1B2C",
            S.UNDELIVERABLE,
            1,
            0,
            dt(2024, 1, 31, 11, 59),
            dt(2024, 2, 1),
            11,
            text="Kode 1234",
        ),
    ),
    (  # lower case stat
        "id:abc123 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
        " stat:delivrd err:000 text:hei",
        Receipt(
            "abc123", S.DELIVERED, 1, 1, dt(2024, 1, 1, 12), dt(2024, 1, 1, 12, 1), 0, text="hei"
        ),
    ),
    (  # bare hex error code
        "id:1 sub:001 dlvrd:000 submit date:2401011200 done date:2401011201"
        " stat:UNDELIV err:00F text:",
        Receipt("1", S.UNDELIVERABLE, 1, 0, dt(2024, 1, 1, 12), dt(2024, 1, 1, 12, 1), 15),
    ),
    (  # extra fields between err and text
        "id:42 sub:001 dlvrd:001 submit date:2401011200 done date:2401011205 stat:DELIVRD err:000"
        " mcc:242 mnc:01 imsi:242011234567890 text:Takk",
        Receipt("42", S.DELIVERED, 1, 1, dt(2024, 1, 1, 12), dt(2024, 1, 1, 12, 5), 0, text="Takk"),
    ),
    (  # fields in another order
        "stat:EXPIRED err:000 id:99 done date:2401020000 submit date:2401010000"
        " dlvrd:000 sub:001 text:x",
        Receipt("99", S.EXPIRED, 1, 0, dt(2024, 1, 1), dt(2024, 1, 2), 0, text="x"),
    ),
    (  # underscores, unpadded numbers, a long stat word
        "id:5 sub:1 dlvrd:1 submit_date:2401011200 done_date:2401011201 stat:DELIVERED err:0 text:",
        Receipt("5", S.DELIVERED, 1, 1, dt(2024, 1, 1, 12), dt(2024, 1, 1, 12, 1), 0),
    ),
    (  # the message text talks like a receipt
        "id:7 sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000"
        " text:id:8 stat:REJECTD err:9",
        Receipt(
            "7",
            S.DELIVERED,
            1,
            1,
            dt(2024, 1, 1, 12),
            dt(2024, 1, 1, 12, 1),
            0,
            text="id:8 stat:REJECTD err:9",
        ),
    ),
    (  # spaces after the colons
        "id: 12 stat: REJECTD err: 5",
        Receipt("12", S.REJECTED, error=5),
    ),
    (  # 14-digit date, impossible date, short date
        "id:3 submit date:20240101120030 done date:2413011200 stat:ACCEPTD err:000",
        Receipt("3", S.ACCEPTED, submit_date=dt(2024, 1, 1, 12, 0, 30), error=0),
    ),
    ("id:3 submit date:24010112 stat:ENROUTE", Receipt("3", S.ENROUTE)),
    ("id:3 stat:DELETED err:xyz", Receipt("3", S.DELETED)),
    ("id:3 stat:UNKNOWN", Receipt("3", S.UNKNOWN)),
    ("id:3 stat:REJECTD", Receipt("3", S.REJECTED)),
    ("id:3 stat:FAILED", Receipt("3", S.UNDELIVERABLE)),
    ("id:3 stat:BUFFRED", Receipt("3", S.ENROUTE)),
    ("id:3 stat:FOOBAR", Receipt("3", S.UNKNOWN)),  # a word we do not know
    ("id:3 stat:2", Receipt("3", S.DELIVERED)),
    ("id:3 stat:DELIVRD\r\n", Receipt("3", S.DELIVERED)),
    ("text:id:3 stat:DELIVRD", Receipt("3", S.DELIVERED)),  # keys after text: while id/stat lack
    (b"id:3 stat:DELIVRD err:000\x00", Receipt("3", S.DELIVERED, error=0)),  # C-string
    ("id:3 stat:DELIVRD".encode("utf-16-be"), Receipt("3", S.DELIVERED)),  # sent as UCS-2
    ("id:3 stat:DELIVRD text:blåbær".encode(), Receipt("3", S.DELIVERED, text="blåbær")),
    (b"id:3 stat:DELIVRD text:bl\xe5", Receipt("3", S.DELIVERED, text="blå")),  # latin-1
]


@pytest.mark.parametrize(("text", "expected"), TEXT_CASES)
def test_parse_receipt_text(text: str | bytes, expected: Receipt) -> None:
    assert parse_receipt_text(text) == expected
    assert parse_receipt(text) == expected


# text that is no receipt
BAD_TEXT_CASES = [
    "",
    "hello world",
    "stat:DELIVRD err:000",  # no id
    "id:123 sub:001 err:000",  # no state
    "id: stat:DELIVRD",  # empty id
    b"\xff\xfe",
    b"\x00\x00\x00",
]


@pytest.mark.parametrize("text", BAD_TEXT_CASES)
def test_not_a_receipt(text: str | bytes) -> None:
    with pytest.raises(ReceiptParseError):
        parse_receipt_text(text)


receipt_words = st.sampled_from(
    ["id:", "ID:", "stat:", "err:", "err:0x", "sub:", "dlvrd:", "submit date:", "done date:",
     "text:", "DELIVRD", "UNDELIV", "0x", "ff", "999999999999", "2413011200", "00", " ", ":",
     "\x00", "é", "😀", "-", "_"]
)  # fmt: skip


@given(st.one_of(st.text(), st.lists(receipt_words).map("".join)))
def test_random_text_raises_only_parse_error(text: str) -> None:
    try:
        receipt = parse_receipt_text(text)
    except ReceiptParseError:
        return
    assert receipt.message_id
    assert isinstance(receipt.state, MessageState)


@given(st.binary())
def test_random_bytes_raise_only_parse_error(data: bytes) -> None:
    with contextlib.suppress(ReceiptParseError):
        parse_receipt_text(data)


# --- TLVs -----------------------------------------------------------------------------

# TLVs, the receipt they tell
TLV_CASES = [
    (
        {0x001E: b"ABC123\x00", 0x0427: b"\x02", 0x0423: b"\x03\x00\x0b"},
        Receipt("ABC123", S.DELIVERED, error=11, network_error_type=3),
    ),
    ({0x001E: b"ABC123", 0x0427: b"\x05"}, Receipt("ABC123", S.UNDELIVERABLE)),  # no NUL
    ({0x001E: b"7\x00junk", 0x0427: b"\x08"}, Receipt("7", S.REJECTED)),
    ({0x001E: b"7\x00", 0x0427: b"\x09"}, Receipt("7", S.UNKNOWN)),  # SMPP 5.0 SKIPPED
    ({0x001E: b"7\x00", 0x0427: b"\x01", 0x0423: b"\x01\x02"}, Receipt("7", S.ENROUTE)),
]


@pytest.mark.parametrize(("tlvs", "expected"), TLV_CASES)
def test_receipt_from_tlvs(tlvs: dict[int, bytes], expected: Receipt) -> None:
    assert receipt_from_tlvs(tlvs) == expected
    assert parse_receipt(b"", tlvs) == expected


# TLVs that do not make a receipt
BAD_TLV_CASES = [
    {},
    {0x0427: b"\x02"},
    {0x001E: b"\x00", 0x0427: b"\x02"},
    {0x001E: b"7\x00"},
    {0x001E: b"7\x00", 0x0427: b""},
    {0x001E: b"7\x00", 0x0427: b"\x02\x02"},
]


@pytest.mark.parametrize("tlvs", BAD_TLV_CASES)
def test_bad_tlvs(tlvs: dict[int, bytes]) -> None:
    with pytest.raises(ReceiptParseError):
        receipt_from_tlvs(tlvs)


RECEIPT_TEXT = (
    "id:123 sub:001 dlvrd:000 submit date:2401011200 done date:2401011300"
    " stat:UNDELIV err:001 text:Hei"
)

# TLVs sent with RECEIPT_TEXT, the receipt: TLVs win field by field
MERGE_CASES = [
    (
        {},
        Receipt(
            "123", S.UNDELIVERABLE, 1, 0, dt(2024, 1, 1, 12), dt(2024, 1, 1, 13), 1, text="Hei"
        ),
    ),
    (
        {0x001E: b"7B\x00", 0x0427: b"\x02"},
        Receipt("7B", S.DELIVERED, 1, 0, dt(2024, 1, 1, 12), dt(2024, 1, 1, 13), 1, text="Hei"),
    ),
    (
        {0x0423: b"\x03\x00\x22"},
        Receipt("123", S.UNDELIVERABLE, 1, 0, dt(2024, 1, 1, 12), dt(2024, 1, 1, 13), 34, 3, "Hei"),
    ),
    (  # an unusable TLV does not erase the text's value
        {0x001E: b"\x00", 0x0427: b""},
        Receipt(
            "123", S.UNDELIVERABLE, 1, 0, dt(2024, 1, 1, 12), dt(2024, 1, 1, 13), 1, text="Hei"
        ),
    ),
]


@pytest.mark.parametrize(("tlvs", "expected"), MERGE_CASES)
def test_tlvs_win_over_text(tlvs: dict[int, bytes], expected: Receipt) -> None:
    assert parse_receipt(RECEIPT_TEXT, tlvs) == expected


def test_tlvs_rescue_unreadable_text() -> None:
    tlvs = {0x001E: b"9\x00", 0x0427: b"\x03"}
    assert parse_receipt("garbage", tlvs) == Receipt("9", S.EXPIRED)
    assert parse_receipt("stat:DELIVRD", {0x001E: b"9\x00"}) == Receipt("9", S.DELIVERED)


@given(st.dictionaries(st.sampled_from([0x001E, 0x0423, 0x0427, 0x1234]), st.binary(max_size=8)))
def test_random_tlvs_raise_only_parse_error(tlvs: dict[int, bytes]) -> None:
    with contextlib.suppress(ReceiptParseError):
        parse_receipt(b"", tlvs)


# --- building -------------------------------------------------------------------------

FULL = Receipt(
    "0A1B2C",
    S.DELIVERED,
    1,
    1,
    dt(2024, 3, 1, 9, 5, 7),
    dt(2024, 3, 1, 9, 6, 8),
    0,
    text="Din kode er 1234, gyldig i 5 min",
)

# receipt, 12-digit dates, text
BUILD_CASES = [
    (
        FULL,
        False,
        "id:0A1B2C sub:001 dlvrd:001 submit date:2403010905 done date:2403010906"
        " stat:DELIVRD err:000 text:Din kode er 1234, gy",
    ),
    (
        FULL,
        True,
        "id:0A1B2C sub:001 dlvrd:001 submit date:240301090507 done date:240301090608"
        " stat:DELIVRD err:000 text:Din kode er 1234, gy",
    ),
    (
        Receipt("x", S.UNDELIVERABLE, error=34),
        False,
        "id:x sub:001 dlvrd:000 submit date:0000000000 done date:0000000000"
        " stat:UNDELIV err:034 text:",
    ),
]


@pytest.mark.parametrize(("receipt", "seconds", "text"), BUILD_CASES)
def test_build_receipt_text(receipt: Receipt, seconds: bool, text: str) -> None:
    assert build_receipt_text(receipt, seconds=seconds) == text


def test_build_receipt_tlvs() -> None:
    assert build_receipt_tlvs(Receipt("0A1B2C", S.UNDELIVERABLE, error=0x0102)) == {
        0x001E: b"0A1B2C\x00",
        0x0427: b"\x05",
        0x0423: b"\x03\x01\x02",
    }
    assert build_receipt_tlvs(Receipt("1", S.DELIVERED)) == {0x001E: b"1\x00", 0x0427: b"\x02"}


@pytest.mark.parametrize(
    "receipt",
    [
        Receipt("x" * 65, S.DELIVERED),
        Receipt("x", S.DELIVERED, error=0x10000),
        Receipt("ø", S.DELIVERED),
    ],
)
def test_build_receipt_tlvs_refuses(receipt: Receipt) -> None:
    with pytest.raises(ValueError):
        build_receipt_tlvs(receipt)


minute_dates = st.datetimes(dt(2000, 1, 1), dt(2099, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
receipts = st.builds(
    Receipt,
    message_id=st.text("0123456789abcdefABCDEF-_", min_size=1, max_size=64),
    state=st.sampled_from(MessageState),
    submitted=st.integers(0, 999),
    delivered=st.integers(0, 999),
    submit_date=minute_dates,
    done_date=minute_dates,
    error=st.integers(0, 999),
    text=st.text(max_size=20).map(str.strip),
)


@given(receipts)
def test_text_round_trip(receipt: Receipt) -> None:
    assert parse_receipt_text(build_receipt_text(receipt)) == receipt


@given(receipts)
def test_tlv_round_trip(receipt: Receipt) -> None:
    parsed = receipt_from_tlvs(build_receipt_tlvs(receipt))
    assert (parsed.message_id, parsed.state, parsed.error) == (
        receipt.message_id,
        receipt.state,
        receipt.error,
    )
    assert parsed.network_error_type == 3


# --- states and ids -------------------------------------------------------------------


def test_message_state_values_and_words() -> None:
    assert [(s.value, s.stat) for s in MessageState] == [
        (1, "ENROUTE"), (2, "DELIVRD"), (3, "EXPIRED"), (4, "DELETED"),
        (5, "UNDELIV"), (6, "ACCEPTD"), (7, "UNKNOWN"), (8, "REJECTD"),
    ]  # fmt: skip
    assert [s for s in MessageState if not s.is_final] == [S.ENROUTE]


# id as received, the forms to look it up by
CANDIDATE_CASES = [
    ("12345", ("12345", "74565", "3039")),
    ("0000012345", ("0000012345", "12345", "74565", "3039")),
    ("1A2B3C", ("1A2B3C", "1715004")),
    ("1a2b3c", ("1a2b3c", "1715004")),
    ("255", ("255", "597", "ff", "FF")),
    ("0", ("0",)),
    ("ce5bc5a9-4f7d", ("ce5bc5a9-4f7d",)),
    ("", ("",)),
]


@pytest.mark.parametrize(("message_id", "candidates"), CANDIDATE_CASES)
def test_candidate_ids(message_id: str, candidates: tuple[str, ...]) -> None:
    assert candidate_ids(message_id) == candidates


# id from submit_sm_resp, id in the receipt, same message?
MATCH_CASES = [
    ("1A2B3C", "1715004", True),  # hex there, decimal here
    ("1715004", "1A2B3C", True),  # decimal there, hex here
    ("1a2b3c", "1715004", True),
    ("0001234", "1234", True),  # zero padding
    ("1234", "0000001234", True),
    ("abc", "ABC", True),
    ("ce5bc5a9-4f7d", "CE5BC5A9-4F7D", True),
    ("123", "124", False),
    ("ce5bc5a9-4f7d", "ce5bc5a9-4f7e", False),
]


@pytest.mark.parametrize(("submitted", "receipted", "same"), MATCH_CASES)
def test_ids_match(submitted: str, receipted: str, same: bool) -> None:
    assert ids_match(submitted, receipted) is same
