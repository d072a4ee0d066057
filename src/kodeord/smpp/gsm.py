"""The GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1, §6.2.1.1).

SMPP 3.4 carries GSM text for data_coding 0 *unpacked*: one septet per octet, high bit
clear (SMPP 3.4 §5.2.19). Characters of the extension table (€ [ ] { } \\ ^ ~ | and form
feed) take two septets, ESC (0x1B) then the code, and count twice against the 160-septet
limit. Encoding is strict by default: a character outside both tables raises
`GsmEncodeError` (callers choose UCS-2 instead, see `text.choose_encoding`). Decoding is
lenient and never raises: ESC followed by a code the extension table lacks shows the
basic-table character (TS 23.038 §6.2.1.1), ESC ESC and a trailing ESC show a space, and
octets with the high bit set become U+FFFD. The packed form (TS 23.038 §6.1.2.1.1, eight
septets in seven octets, least significant bit first) is offered for peers that send it
and for the fill bits that align septets after a user data header (TS 23.040 §9.2.3.24).
"""

from __future__ import annotations

ESC = 0x1B
REPLACEMENT = "\ufffd"

# Septet value -> character, TS 23.038 §6.2.1. Index 0x1B is ESC, never a character.
BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Code after ESC -> character, TS 23.038 §6.2.1.1 (default extension table).
EXTENSION_TABLE: dict[int, str] = {
    0x0A: "\f",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}

EXTENSION_CHARS = frozenset(EXTENSION_TABLE.values())
BASIC_CHARS = frozenset(c for i, c in enumerate(BASIC_TABLE) if i != ESC)
ENCODABLE_CHARS = BASIC_CHARS | EXTENSION_CHARS


class GsmEncodeError(ValueError):
    """A character has no place in the GSM 7-bit default alphabet or its extension."""

    def __init__(self, text: str, position: int) -> None:
        self.char = text[position]
        self.position = position
        super().__init__(f"{self.char!r} at position {position} is not in the GSM 7-bit alphabet")


def _build_encode_table() -> dict[int, str]:
    # str.translate maps each character to its septet(s) as code points < 0x80, so one
    # latin-1 encode afterwards yields the unpacked octets.
    table = {ord(c): chr(i) for i, c in enumerate(BASIC_TABLE) if i != ESC}
    table.update({ord(c): chr(ESC) + chr(code) for code, c in EXTENSION_TABLE.items()})
    return table


def _build_basic_decode_table() -> dict[int, str]:
    table = {i: c for i, c in enumerate(BASIC_TABLE)}
    table[ESC] = " "
    table.update({i: REPLACEMENT for i in range(0x80, 0x100)})
    return table


def _build_escaped_table() -> tuple[str, ...]:
    # The character shown for ESC + code, for every octet value.
    shown = [BASIC_TABLE[code] if code < 0x80 else REPLACEMENT for code in range(0x100)]
    shown[ESC] = " "  # reserved for a second extension table: show a space
    for code, char in EXTENSION_TABLE.items():
        shown[code] = char
    return tuple(shown)


_ENCODE = _build_encode_table()
_DECODE_BASIC = _build_basic_decode_table()
_DECODE_ESCAPED = _build_escaped_table()
_EXTENSION_CHAR_LIST = tuple(sorted(EXTENSION_CHARS))
_SEPTET_BITS = tuple(format(i, "07b") for i in range(0x80))


def is_encodable(text: str) -> bool:
    """True when every character of `text` is in the default alphabet or its extension."""
    return ENCODABLE_CHARS.issuperset(text)


def unencodable_chars(text: str) -> list[str]:
    """The distinct characters of `text` that GSM 7-bit cannot carry, in order of appearance."""
    return list(dict.fromkeys(c for c in text if c not in ENCODABLE_CHARS))


def septet_length(text: str) -> int:
    """Septets `text` takes in GSM 7-bit: one per character, two per extension character."""
    _check_encodable(text)
    return len(text) + sum(map(text.count, _EXTENSION_CHAR_LIST))


def encode(text: str, *, replace: str | None = None) -> bytes:
    """`text` as unpacked septets, one per octet (SMPP data_coding 0).

    Characters outside the alphabet raise `GsmEncodeError`, or become `replace` when given
    (which must itself be encodable, e.g. "?").
    """
    if replace is not None and not is_encodable(text):
        text = "".join(c if c in ENCODABLE_CHARS else replace for c in text)
    _check_encodable(text)
    return text.translate(_ENCODE).encode("latin-1")


def decode(septets: bytes) -> str:
    """Unpacked septets (one per octet) as text; never raises (see the module rules)."""
    if ESC not in septets:
        return septets.decode("latin-1").translate(_DECODE_BASIC)
    pieces: list[str] = []
    start, size = 0, len(septets)
    while (esc := septets.find(ESC, start)) >= 0:
        pieces.append(septets[start:esc].decode("latin-1").translate(_DECODE_BASIC))
        if esc + 1 == size:
            pieces.append(" ")
            return "".join(pieces)
        pieces.append(_DECODE_ESCAPED[septets[esc + 1]])
        start = esc + 2
    pieces.append(septets[start:].decode("latin-1").translate(_DECODE_BASIC))
    return "".join(pieces)


def _check_encodable(text: str) -> None:
    if not ENCODABLE_CHARS.issuperset(text):
        position = next(i for i, c in enumerate(text) if c not in ENCODABLE_CHARS)
        raise GsmEncodeError(text, position)


def udh_fill_bits(udh_octets: int) -> int:
    """Fill bits after a UDH of `udh_octets` (UDHL included) so septets start aligned.

    TS 23.040 §9.2.3.24: a 6-octet concatenation header needs 1 fill bit, a 7-octet one 0.
    """
    return (7 - (udh_octets * 8) % 7) % 7


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    """Pack septets eight into seven octets, LSB first, after `fill_bits` zero bits."""
    # Most significant septet first in the bit string, so int() places septet i at bit 7*i.
    bits = "".join(_SEPTET_BITS[s & 0x7F] for s in reversed(septets))
    nbits = fill_bits + 7 * len(septets)
    return (int(bits or "0", 2) << fill_bits).to_bytes((nbits + 7) // 8, "little")


def unpack_septets(packed: bytes, count: int | None = None, fill_bits: int = 0) -> bytes:
    """Unpack packed GSM 7-bit octets to one septet per octet, skipping `fill_bits` first.

    Pass `count` (TP-UDL less the header) when known. Without it, seven spare bits at the
    end are indistinguishable from a final '@' (septet 0); a trailing zero septet that lies
    wholly in those spare bits is taken as padding and dropped.
    """
    available = (len(packed) * 8 - fill_bits) // 7 if packed else 0
    if count is None:
        count = available
        if count and _is_padding(packed, count, fill_bits):
            count -= 1
    count = max(0, min(count, available))
    value = int.from_bytes(packed, "little") >> fill_bits
    out = bytearray(count)
    for i in range(count):
        out[i] = value & 0x7F
        value >>= 7
    return bytes(out)


def _is_padding(packed: bytes, count: int, fill_bits: int) -> bool:
    last = (int.from_bytes(packed, "little") >> (fill_bits + 7 * (count - 1))) & 0x7F
    octets_without_last = (fill_bits + 7 * (count - 1) + 7) // 8
    return last == 0 and octets_without_last == len(packed)
