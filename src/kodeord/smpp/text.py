"""Text encodings for short messages and splitting long messages into parts.

One `Encoding` per SMPP 3.4 data_coding we speak (§5.2.19): GSM7 (0, the GSM 03.38 default
alphabet unpacked, see `gsm.py`), LATIN1 (3), BINARY (4) and UCS2 (8). UCS-2 is sent as
UTF-16BE, so characters beyond the BMP (emoji) travel as surrogate pairs, as handsets expect.
`choose_encoding` picks GSM7 when every character fits, else UCS2. Decoding text never
raises: invalid GSM septets and odd-length or broken UTF-16 become U+FFFD.

A user data is 140 octets (3GPP TS 23.040 §9.2.3.24): 160 septets, 70 UTF-16 units or 140
octets in one message. A multipart message gives up the header's octets in every part;
with the 6-octet 8-bit-reference concatenation header that leaves 153 septets (the header
plus one fill bit is 7 septets), 67 units or 134 octets; with the 7-octet 16-bit one 152,
66 or 133. Parts are cut greedily but never inside an escape pair (ESC + code) or a
surrogate pair, so a part may hold one unit less than its limit. At most 255 parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from kodeord.smpp import gsm
from kodeord.smpp.concat import CONCAT8_UDH_LENGTH, MAX_PARTS

USER_DATA_OCTETS = 140


class Encoding(Enum):
    """A text encoding, valued by its SMPP 3.4 data_coding."""

    GSM7 = 0
    LATIN1 = 3
    BINARY = 4
    UCS2 = 8

    @property
    def data_coding(self) -> int:
        return self.value

    @property
    def unit_octets(self) -> int:
        """Octets per counted unit: septet, UTF-16 code unit or octet."""
        return 2 if self is Encoding.UCS2 else 1

    @classmethod
    def from_data_coding(cls, data_coding: int) -> Encoding | None:
        """The encoding for a received data_coding, or None when we do not decode it.

        0 is the SMSC default alphabet, GSM 03.38 on the networks we serve; 2 and 4 are
        8-bit data; 0xF0–0xFF is the TS 23.038 §4 data coding/message class group, where
        bit 2 chooses 8-bit data over the default alphabet.
        """
        if data_coding in (2, 4):
            return cls.BINARY
        if 0xF0 <= data_coding <= 0xFF:
            return cls.BINARY if data_coding & 0x04 else cls.GSM7
        return _BY_DATA_CODING.get(data_coding)


_BY_DATA_CODING = {e.value: e for e in Encoding}


class MessageTooLong(ValueError):
    """The message needs more parts than allowed."""

    def __init__(self, parts: int, max_parts: int) -> None:
        self.parts = parts
        self.max_parts = max_parts
        super().__init__(f"the message needs {parts} parts, more than {max_parts}")


class SegmentInfo(NamedTuple):
    """What a text costs: its encoding, number of parts and units (septets/UTF-16/octets)."""

    encoding: Encoding
    segments: int
    units: int


@dataclass(frozen=True, slots=True)
class Segments:
    """A message cut into encoded payload chunks, one per part (no UDH in them)."""

    encoding: Encoding
    parts: tuple[bytes, ...]
    units: int

    @property
    def count(self) -> int:
        return len(self.parts)


def choose_encoding(text: str) -> Encoding:
    """GSM7 when every character is in the GSM 03.38 alphabet or extension, else UCS2."""
    return Encoding.GSM7 if gsm.is_encodable(text) else Encoding.UCS2


def encode(text: str, encoding: Encoding) -> bytes:
    """`text` as the payload octets for `encoding`; raises ValueError when it cannot be.

    BINARY carries octets, not text, and raises; pass bytes to `split` instead.
    """
    if encoding is Encoding.GSM7:
        return gsm.encode(text)
    if encoding is Encoding.UCS2:
        # surrogatepass: a lone surrogate (possible in Python text) is sent, not fatal.
        return text.encode("utf-16-be", "surrogatepass")
    if encoding is Encoding.LATIN1:
        return text.encode("latin-1")
    raise ValueError("BINARY carries octets, not text")


def decode(payload: bytes, encoding: Encoding) -> str:
    """The text in `payload`; lenient, never raises for GSM7, UCS2 or LATIN1.

    BINARY has no text and raises ValueError.
    """
    if encoding is Encoding.GSM7:
        return gsm.decode(payload)
    if encoding is Encoding.UCS2:
        # "replace" turns a trailing odd octet and unpaired surrogates into U+FFFD.
        return payload.decode("utf-16-be", "replace")
    if encoding is Encoding.LATIN1:
        return payload.decode("latin-1")
    raise ValueError("BINARY carries octets, not text")


def single_limit(encoding: Encoding) -> int:
    """Units that fit in one message without a header."""
    return part_limit(encoding, udh_length=0)


def part_limit(encoding: Encoding, udh_length: int = CONCAT8_UDH_LENGTH) -> int:
    """Units per part when each part carries a UDH of `udh_length` octets.

    For GSM7 the header and its fill bits take whole septets (TS 23.040 §9.2.3.24).
    """
    room = USER_DATA_OCTETS - udh_length
    if encoding is Encoding.GSM7:
        return room * 8 // 7
    return room // encoding.unit_octets


def split(
    message: str | bytes,
    encoding: Encoding | None = None,
    *,
    udh_length: int = CONCAT8_UDH_LENGTH,
    max_parts: int | None = MAX_PARTS,
) -> Segments:
    """Encode `message` and cut it into parts.

    A str is encoded (in `choose_encoding`'s choice when `encoding` is None); bytes are
    taken as payload already in `encoding` (BINARY when None). One part when it fits a
    single message, else parts of `part_limit(encoding, udh_length)` units at most, with
    `udh_length` as `concat.udh_length(method)` gives it. More than `max_parts` parts
    raises `MessageTooLong` (None: no limit).
    """
    if isinstance(message, bytes):
        encoding = Encoding.BINARY if encoding is None else encoding
        payload = message
    else:
        encoding = choose_encoding(message) if encoding is None else encoding
        payload = encode(message, encoding)
    parts = _cut(payload, encoding, udh_length)
    if max_parts is not None and len(parts) > max_parts:
        raise MessageTooLong(len(parts), max_parts)
    return Segments(encoding, parts, len(payload) // encoding.unit_octets)


def segment_info(text: str, *, udh_length: int = CONCAT8_UDH_LENGTH) -> SegmentInfo:
    """Encoding, parts and units `text` would be sent as; counts past 255 parts too."""
    segments = split(text, udh_length=udh_length, max_parts=None)
    return SegmentInfo(segments.encoding, segments.count, segments.units)


def _cut(payload: bytes, encoding: Encoding, udh_length: int) -> tuple[bytes, ...]:
    unit = encoding.unit_octets
    if len(payload) <= single_limit(encoding) * unit:
        return (payload,)
    step = part_limit(encoding, udh_length) * unit
    if step < 2 * unit:
        raise ValueError(f"a {udh_length}-octet header leaves no room for text")
    chunks = []
    start, size = 0, len(payload)
    while start < size:
        end = min(start + step, size)
        if end < size and _splits_pair(payload, end, encoding):
            end -= unit
        chunks.append(payload[start:end])
        start = end
    return tuple(chunks)


def _splits_pair(payload: bytes, end: int, encoding: Encoding) -> bool:
    """Whether cutting before `end` separates the two halves of a pair."""
    if encoding is Encoding.GSM7:
        # Our encoder emits 0x1B only as the first half of an escape pair.
        return payload[end - 1] == gsm.ESC
    if encoding is Encoding.UCS2:
        return 0xD8 <= payload[end - 2] <= 0xDB  # a high surrogate's first octet
    return False
