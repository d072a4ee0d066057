"""Encodings and splitting: every boundary case for escape and surrogate pairs, hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.smpp import gsm
from kodeord.smpp.text import (
    Encoding,
    MessageTooLong,
    choose_encoding,
    decode,
    encode,
    part_limit,
    segment_info,
    single_limit,
    split,
)

EXTENSION = "€[]{}\\^~|\f"
EMOJI = "😀"  # U+1F600: the surrogate pair D83D DE00

gsm_text = st.text(alphabet=sorted(gsm.ENCODABLE_CHARS), max_size=1200)
any_text = st.one_of(gsm_text, st.text(max_size=600))


def septet_sizes(parts: tuple[bytes, ...]) -> list[int]:
    return [len(p) for p in parts]


def unit_sizes(parts: tuple[bytes, ...]) -> list[int]:
    return [len(p) // 2 for p in parts]


def decode_each(parts: tuple[bytes, ...], encoding: Encoding) -> str:
    # Each part on its own, as a handset without reassembly shows it: a split pair shows up.
    return "".join(decode(p, encoding) for p in parts)


# text, encoding
CHOOSE_CASES = [
    ("", Encoding.GSM7),
    ("STOPP", Encoding.GSM7),
    ("Blåbærsyltetøy fra Ærø", Encoding.GSM7),
    ("Pris 10€ [inkl. mva]", Encoding.GSM7),
    ("ç", Encoding.UCS2),
    ("Hei 😀", Encoding.UCS2),
    ("Привет", Encoding.UCS2),
    ("tab\there", Encoding.UCS2),
]


@pytest.mark.parametrize(("text", "encoding"), CHOOSE_CASES)
def test_choose_encoding(text: str, encoding: Encoding) -> None:
    assert choose_encoding(text) is encoding


# --- GSM 7-bit boundaries: every extension character ------------------------------------

# prefix "a"s before the extension character, suffix "b"s after it, udh octets, part sizes
GSM_BOUNDARY_CASES = [
    (158, 0, 6, [160]),  # 160 septets: one message
    (159, 0, 6, [153, 8]),  # ESC at 159: 161 septets, two parts
    (160, 0, 6, [153, 9]),  # ESC at 160
    (151, 50, 6, [153, 50]),  # pair at 151/152: fits the first part
    (152, 50, 6, [152, 52]),  # pair at 152/153: would split, moves whole to part 2
    (153, 50, 6, [153, 52]),  # pair at 153/154: starts part 2
    (154, 50, 6, [153, 53]),
    (305, 10, 6, [153, 152, 12]),  # pair at 305/306: the second boundary
    (150, 50, 7, [152, 50]),  # 16-bit reference: 152 per part
    (151, 50, 7, [151, 52]),
    (152, 50, 7, [152, 52]),
    (158, 10, 0, [160, 10]),  # no header room kept: 160 per part
    (159, 10, 0, [159, 12]),  # ... and a pair at 159/160 moves to part 2
]


@pytest.mark.parametrize("char", list(EXTENSION))
@pytest.mark.parametrize(("prefix", "suffix", "udh", "sizes"), GSM_BOUNDARY_CASES)
def test_extension_char_at_boundary(
    char: str, prefix: int, suffix: int, udh: int, sizes: list[int]
) -> None:
    text = "a" * prefix + char + "b" * suffix
    segments = split(text, udh_length=udh)
    assert segments.encoding is Encoding.GSM7
    assert septet_sizes(segments.parts) == sizes
    assert segments.count == len(sizes)
    assert segments.units == prefix + 2 + suffix
    assert decode_each(segments.parts, Encoding.GSM7) == text
    assert all(p[-1] != gsm.ESC for p in segments.parts)
    assert segment_info(text, udh_length=udh) == (Encoding.GSM7, len(sizes), prefix + 2 + suffix)


def test_run_of_extension_chars_never_splits() -> None:
    text = "€" * 200  # 400 septets: every part boundary falls on a pair
    segments = split(text)
    assert septet_sizes(segments.parts) == [152, 152, 96]
    assert decode_each(segments.parts, Encoding.GSM7) == text


# --- UCS-2 boundaries: surrogate pairs ----------------------------------------------------

# prefix "a"s before the emoji, suffix "b"s, udh octets, part sizes in UTF-16 units
UCS2_BOUNDARY_CASES = [
    (68, 0, 6, [70]),  # pair at 68/69: 70 units, one message
    (69, 0, 6, [67, 4]),  # pair at 69/70: 71 units, two parts
    (65, 10, 6, [67, 10]),  # pair at 65/66: fits the first part
    (66, 10, 6, [66, 12]),  # pair at 66/67: would split, moves to part 2
    (67, 10, 6, [67, 12]),  # pair at 67/68: starts part 2
    (64, 10, 7, [66, 10]),  # 16-bit reference: 66 per part
    (65, 10, 7, [65, 12]),
    (132, 10, 6, [67, 67, 10]),  # pair at 132/133: ends part 2
    (133, 10, 6, [67, 66, 12]),  # pair at 133/134: would split the second boundary
]


@pytest.mark.parametrize(("prefix", "suffix", "udh", "sizes"), UCS2_BOUNDARY_CASES)
def test_emoji_at_ucs2_boundary(prefix: int, suffix: int, udh: int, sizes: list[int]) -> None:
    text = "a" * prefix + EMOJI + "b" * suffix
    segments = split(text, udh_length=udh)
    assert segments.encoding is Encoding.UCS2
    assert unit_sizes(segments.parts) == sizes
    assert segments.units == prefix + 2 + suffix
    assert decode_each(segments.parts, Encoding.UCS2) == text
    assert "\ufffd" not in decode_each(segments.parts, Encoding.UCS2)


def test_emoji_is_a_surrogate_pair() -> None:
    assert encode(EMOJI, Encoding.UCS2) == bytes.fromhex("d83dde00")
    assert decode(bytes.fromhex("d83dde00"), Encoding.UCS2) == EMOJI


# --- sizes ---------------------------------------------------------------------------------

# encoding, single-message units, per part with 6-octet UDH, per part with 7-octet UDH
LIMIT_CASES = [
    (Encoding.GSM7, 160, 153, 152),
    (Encoding.UCS2, 70, 67, 66),
    (Encoding.LATIN1, 140, 134, 133),
    (Encoding.BINARY, 140, 134, 133),
]


@pytest.mark.parametrize(("encoding", "single", "udh8", "udh16"), LIMIT_CASES)
def test_limits(encoding: Encoding, single: int, udh8: int, udh16: int) -> None:
    assert single_limit(encoding) == single
    assert part_limit(encoding, 6) == udh8
    assert part_limit(encoding, 7) == udh16


# text, encoding, parts, units
SEGMENT_INFO_CASES = [
    ("", Encoding.GSM7, 1, 0),
    ("Hei", Encoding.GSM7, 1, 3),
    ("a" * 160, Encoding.GSM7, 1, 160),
    ("a" * 161, Encoding.GSM7, 2, 161),
    ("a" * 306, Encoding.GSM7, 2, 306),
    ("a" * 307, Encoding.GSM7, 3, 307),
    ("€" * 80, Encoding.GSM7, 1, 160),
    ("€" * 81, Encoding.GSM7, 2, 162),
    ("æøå" * 60, Encoding.GSM7, 2, 180),
    ("ç" * 70, Encoding.UCS2, 1, 70),
    ("ç" * 71, Encoding.UCS2, 2, 71),
    ("ç" * 134, Encoding.UCS2, 2, 134),
    ("ç" * 135, Encoding.UCS2, 3, 135),
    (EMOJI * 35, Encoding.UCS2, 1, 70),
    (EMOJI * 36, Encoding.UCS2, 2, 72),
    ("a" * (153 * 255), Encoding.GSM7, 255, 153 * 255),
    ("a" * (153 * 255 + 1), Encoding.GSM7, 256, 153 * 255 + 1),  # counted, not refused
]


@pytest.mark.parametrize(("text", "encoding", "parts", "units"), SEGMENT_INFO_CASES)
def test_segment_info(text: str, encoding: Encoding, parts: int, units: int) -> None:
    assert segment_info(text) == (encoding, parts, units)


# payload octets, encoding, part sizes in octets
BYTES_CASES = [
    (140, Encoding.BINARY, [140]),
    (141, Encoding.BINARY, [134, 7]),
    (300, Encoding.BINARY, [134, 134, 32]),
    (141, Encoding.LATIN1, [134, 7]),
]


@pytest.mark.parametrize(("size", "encoding", "sizes"), BYTES_CASES)
def test_split_octets(size: int, encoding: Encoding, sizes: list[int]) -> None:
    payload = bytes(i % 256 for i in range(size))
    segments = split(payload, encoding)
    assert [len(p) for p in segments.parts] == sizes
    assert b"".join(segments.parts) == payload


def test_bytes_default_to_binary() -> None:
    assert split(b"\x01\x02").encoding is Encoding.BINARY


def test_pre_encoded_gsm_bytes_keep_pairs() -> None:
    payload = gsm.encode("a" * 152 + "€" + "b" * 20)
    segments = split(payload, Encoding.GSM7)
    assert septet_sizes(segments.parts) == [152, 22]


def test_latin1_split_of_text() -> None:
    text = "é" * 141
    segments = split(text, Encoding.LATIN1)
    assert [len(p) for p in segments.parts] == [134, 7]
    assert decode_each(segments.parts, Encoding.LATIN1) == text


# text length in "a"s, max parts, expected parts (None: MessageTooLong)
MAX_PARTS_CASES = [
    (153 * 255, 255, 255),
    (153 * 255 + 1, 255, None),
    (307, 2, None),
    (306, 2, 2),
    (153 * 300, None, 300),
]


@pytest.mark.parametrize(("length", "max_parts", "expected"), MAX_PARTS_CASES)
def test_max_parts(length: int, max_parts: int | None, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(MessageTooLong):
            split("a" * length, max_parts=max_parts)
    else:
        assert split("a" * length, max_parts=max_parts).count == expected


def test_default_max_is_255() -> None:
    with pytest.raises(MessageTooLong) as info:
        split("a" * (153 * 255 + 1))
    assert (info.value.parts, info.value.max_parts) == (256, 255)


# --- encode / decode -----------------------------------------------------------------------

# payload (hex), encoding, text
DECODE_CASES = [
    ("00480065006a", Encoding.UCS2, "Hej"),
    ("00480065006a00", Encoding.UCS2, "Hej\ufffd"),  # odd length
    ("d83d0041", Encoding.UCS2, "\ufffdA"),  # lone high surrogate
    ("de00", Encoding.UCS2, "\ufffd"),  # lone low surrogate
    ("e6f8e5", Encoding.LATIN1, "æøå"),
    ("1d0c0f", Encoding.GSM7, "æøå"),
    ("1b", Encoding.GSM7, " "),
    ("", Encoding.UCS2, ""),
]


@pytest.mark.parametrize(("payload", "encoding", "text"), DECODE_CASES)
def test_decode(payload: str, encoding: Encoding, text: str) -> None:
    assert decode(bytes.fromhex(payload), encoding) == text


# text, encoding
ENCODE_ERROR_CASES = [
    ("ç", Encoding.GSM7),
    ("€", Encoding.LATIN1),
    ("x", Encoding.BINARY),
]


@pytest.mark.parametrize(("text", "encoding"), ENCODE_ERROR_CASES)
def test_encode_refuses(text: str, encoding: Encoding) -> None:
    with pytest.raises(ValueError):
        encode(text, encoding)


def test_binary_has_no_text() -> None:
    with pytest.raises(ValueError):
        decode(b"\x00", Encoding.BINARY)


# data_coding, encoding
DATA_CODING_CASES = [
    (0, Encoding.GSM7),
    (1, None),
    (2, Encoding.BINARY),
    (3, Encoding.LATIN1),
    (4, Encoding.BINARY),
    (8, Encoding.UCS2),
    (5, None),
    (0xF0, Encoding.GSM7),
    (0xF1, Encoding.GSM7),
    (0xF4, Encoding.BINARY),
    (0xF6, Encoding.BINARY),
]


@pytest.mark.parametrize(("data_coding", "encoding"), DATA_CODING_CASES)
def test_from_data_coding(data_coding: int, encoding: Encoding | None) -> None:
    assert Encoding.from_data_coding(data_coding) is encoding


def test_data_coding_values() -> None:
    assert [e.data_coding for e in Encoding] == [0, 3, 4, 8]


# --- properties ----------------------------------------------------------------------------


@given(any_text, st.sampled_from([0, 6, 7]))
def test_split_join_round_trip(text: str, udh: int) -> None:
    segments = split(text, udh_length=udh, max_parts=None)
    encoding = segments.encoding
    assert encoding is choose_encoding(text)
    assert decode(b"".join(segments.parts), encoding) == text
    assert decode_each(segments.parts, encoding) == text
    limit = single_limit(encoding) if segments.count == 1 else part_limit(encoding, udh)
    unit = 2 if encoding is Encoding.UCS2 else 1
    assert all(len(p) <= limit * unit for p in segments.parts)
    assert all(len(p) >= (limit - 1) * unit for p in segments.parts[:-1])
    assert segment_info(text, udh_length=udh) == (encoding, segments.count, segments.units)


@given(st.binary(max_size=2000))
def test_binary_round_trip(payload: bytes) -> None:
    segments = split(payload)
    assert b"".join(segments.parts) == payload
    limit = 140 if segments.count == 1 else 134
    assert all(len(p) <= limit for p in segments.parts)


@given(st.binary(), st.sampled_from([Encoding.GSM7, Encoding.UCS2, Encoding.LATIN1]))
def test_decode_never_raises(payload: bytes, encoding: Encoding) -> None:
    assert isinstance(decode(payload, encoding), str)
