"""GSM 03.38 default alphabet: vectors from TS 23.038, gsmcodecs as the oracle, hypothesis."""

from __future__ import annotations

import gsmcodecs  # noqa: F401  (registers the "gsm23.038" codec)
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.smpp import gsm

ORACLE = "gsm23.038"
EXTENSION = "€[]{}\\^~|\f"

gsm_text = st.text(alphabet=sorted(gsm.ENCODABLE_CHARS))

# text, unpacked septets (hex)
ENCODE_CASES = [
    ("", ""),
    ("Hello", "48656c6c6f"),
    ("@", "00"),
    ("£$¥", "010203"),
    ("Ø", "0b"),
    ("ø", "0c"),
    ("Å", "0e"),
    ("å", "0f"),
    ("Æ", "1c"),
    ("æ", "1d"),
    ("Blåbær på Ørland", "426c0f621d7220700f200b726c616e64"),
    ("€", "1b65"),
    ("[", "1b3c"),
    ("]", "1b3e"),
    ("{", "1b28"),
    ("}", "1b29"),
    ("\\", "1b2f"),
    ("^", "1b14"),
    ("~", "1b3d"),
    ("|", "1b40"),
    ("\f", "1b0a"),
    ("10€", "31301b65"),
    ("¡¿§", "40605f"),
    ("ΔΦΓΛΩΠΨΣΘΞ", "1012131415161718191a"),
    ("\n\r", "0a0d"),
]


@pytest.mark.parametrize(("text", "septets"), ENCODE_CASES)
def test_encode_vectors(text: str, septets: str) -> None:
    assert gsm.encode(text).hex() == septets
    assert gsm.decode(bytes.fromhex(septets)) == text


@pytest.mark.parametrize("char", list("æøåÆØÅ"))
def test_norwegian_letters_agree_with_oracle(char: str) -> None:
    assert gsm.encode(char) == char.encode(ORACLE)
    assert len(gsm.encode(char)) == 1
    assert gsm.decode(char.encode(ORACLE)) == char


@pytest.mark.parametrize("char", list(EXTENSION))
def test_every_extension_char_agrees_with_oracle(char: str) -> None:
    encoded = gsm.encode(char)
    assert encoded == char.encode(ORACLE)
    assert encoded[0] == gsm.ESC and len(encoded) == 2
    assert gsm.decode(encoded) == char
    assert gsm.septet_length(char) == 2


def test_extension_table_is_exactly_the_documented_set() -> None:
    assert set(EXTENSION) == gsm.EXTENSION_CHARS


def test_whole_basic_table_agrees_with_oracle() -> None:
    septets = bytes(i for i in range(128) if i != gsm.ESC)
    assert gsm.decode(septets) == septets.decode(ORACLE)


@given(gsm_text)
def test_encode_agrees_with_oracle(text: str) -> None:
    assert gsm.encode(text) == text.encode(ORACLE)


@given(gsm_text)
def test_round_trip_and_length(text: str) -> None:
    encoded = gsm.encode(text)
    assert gsm.decode(encoded) == text
    assert gsm.septet_length(text) == len(encoded)
    assert max(encoded, default=0) < 0x80


# text, is encodable
ENCODABLE_CASES = [
    ("Hei på deg", True),
    ("Pris: 10€ {ok} [x] ~ | ^ \\", True),
    ("ç", False),  # 0x09 is Ç; lower case ç is not in the table
    ("`", False),  # ASCII but not GSM (0x60 is ¿)
    ("😀", False),
    ("\t", False),
    ("Привет", False),
    ("", True),
]


@pytest.mark.parametrize(("text", "ok"), ENCODABLE_CASES)
def test_is_encodable(text: str, ok: bool) -> None:
    assert gsm.is_encodable(text) is ok
    assert (not gsm.unencodable_chars(text)) is ok


@pytest.mark.parametrize(("text", "position"), [("abcç", 3), ("😀", 0), ("a`b`", 1)])
def test_encode_error_names_the_character(text: str, position: int) -> None:
    with pytest.raises(gsm.GsmEncodeError) as info:
        gsm.encode(text)
    assert info.value.position == position
    assert info.value.char == text[position]
    with pytest.raises(gsm.GsmEncodeError):
        gsm.septet_length(text)


def test_encode_replace() -> None:
    assert gsm.encode("a😀b`", replace="?") == b"a?b?"


def test_unencodable_chars_distinct_in_order() -> None:
    assert gsm.unencodable_chars("x😀y`😀") == ["😀", "`"]


# septets (hex), decoded: lenient cases the oracle refuses
LENIENT_DECODE_CASES = [
    ("1b", " "),  # trailing ESC
    ("411b", "A "),
    ("1b1b41", " A"),  # ESC ESC: reserved, shown as a space
    ("1b41", "A"),  # ESC + code missing from the extension table: the basic character
    ("1b1d", "æ"),
    ("41ff42", "A\ufffdB"),  # high bit set
    ("1bff", "\ufffd"),
    ("80", "\ufffd"),
]


@pytest.mark.parametrize(("septets", "text"), LENIENT_DECODE_CASES)
def test_decode_is_lenient(septets: str, text: str) -> None:
    assert gsm.decode(bytes.fromhex(septets)) == text


@given(st.binary())
def test_decode_never_raises(data: bytes) -> None:
    assert isinstance(gsm.decode(data), str)


@given(st.binary().map(lambda b: bytes(x & 0x7F for x in b)))
def test_decode_agrees_with_oracle_where_oracle_decodes(data: bytes) -> None:
    try:
        expected = data.decode(ORACLE)
    except UnicodeDecodeError:
        return
    assert gsm.decode(data) == expected


# --- packed 7-bit ---------------------------------------------------------------------

# text, fill bits, packed (hex)
PACK_CASES = [
    ("hellohello", 0, "e8329bfd4697d9ec37"),  # TS 23.038 §6.1.2.1.1 style example
    ("1234567", 0, "31d98c56b3dd00"),  # 7 septets, 7 spare bits
    ("12345678", 0, "31d98c56b3dd70"),  # 8 septets fill 7 octets exactly
    ("A", 0, "41"),
    ("A", 1, "82"),  # after a 6-octet UDH
    ("", 0, ""),
]


@pytest.mark.parametrize(("text", "fill", "packed"), PACK_CASES)
def test_pack_vectors(text: str, fill: int, packed: str) -> None:
    septets = gsm.encode(text)
    assert gsm.pack_septets(septets, fill).hex() == packed
    assert gsm.unpack_septets(bytes.fromhex(packed), len(septets), fill) == septets


@pytest.mark.parametrize(("text", "fill", "packed"), PACK_CASES)
def test_unpack_without_count(text: str, fill: int, packed: str) -> None:
    assert gsm.unpack_septets(bytes.fromhex(packed), fill_bits=fill) == gsm.encode(text)


@pytest.mark.parametrize(("udh_octets", "fill"), [(0, 0), (6, 1), (7, 0), (5, 2), (12, 2)])
def test_udh_fill_bits(udh_octets: int, fill: int) -> None:
    assert gsm.udh_fill_bits(udh_octets) == fill
    assert (udh_octets * 8 + fill) % 7 == 0


@given(st.binary().map(lambda b: bytes(x & 0x7F for x in b)), st.integers(0, 6))
def test_pack_round_trip(septets: bytes, fill: int) -> None:
    packed = gsm.pack_septets(septets, fill)
    assert len(packed) == (fill + 7 * len(septets) + 7) // 8
    assert gsm.unpack_septets(packed, len(septets), fill) == septets


@given(st.binary(), st.integers(0, 6), st.none() | st.integers(0, 400))
def test_unpack_never_raises(data: bytes, fill: int, count: int | None) -> None:
    out = gsm.unpack_septets(data, count, fill)
    assert max(out, default=0) < 0x80
