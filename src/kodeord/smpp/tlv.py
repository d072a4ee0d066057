"""Optional parameters (TLVs, SMPP 3.4 section 3.2.4 and 5.3): value types and wire form.

A TLV is tag (2 octets), length (2 octets), value. Known tags get a Python type from
the table below: fixed-size integers become `int`, the two C-octet-string tags become
`str` (latin-1, without the NUL), everything else stays `bytes`. Unknown tags are kept
as raw `bytes`, in order, and re-encoded unchanged (5.3: "shall ignore" what it does not
know, so we must not drop or reorder it either).

Rules when decoding: a broken TLV stream is ESME_RINVOPTPARSTREAM; a known integer tag
with the wrong length, or a C-string tag over its maximum, is ESME_RINVPARLEN. Peers
often omit the NUL of receipted_message_id, so a missing terminator is accepted.
The telematics ids are left as bytes: the 3.4 text disagrees with itself on their size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from kodeord.smpp.constants import CommandStatus, Tag
from kodeord.smpp.errors import LocalProtocolError

TlvValue = int | str | bytes


@dataclass(frozen=True, slots=True)
class Tlv:
    """One optional parameter; `value` type follows TLV_INT_SIZES / TLV_CSTRING_MAX."""

    tag: int
    value: TlvValue


TLV_INT_SIZES: dict[int, int] = {
    **dict.fromkeys(
        (
            Tag.DEST_ADDR_SUBUNIT,
            Tag.DEST_NETWORK_TYPE,
            Tag.DEST_BEARER_TYPE,
            Tag.SOURCE_ADDR_SUBUNIT,
            Tag.SOURCE_NETWORK_TYPE,
            Tag.SOURCE_BEARER_TYPE,
            Tag.PAYLOAD_TYPE,
            Tag.MS_MSG_WAIT_FACILITIES,
            Tag.PRIVACY_INDICATOR,
            Tag.USER_RESPONSE_CODE,
            Tag.LANGUAGE_INDICATOR,
            Tag.SAR_TOTAL_SEGMENTS,
            Tag.SAR_SEGMENT_SEQNUM,
            Tag.SC_INTERFACE_VERSION,
            Tag.CALLBACK_NUM_PRES_IND,
            Tag.NUMBER_OF_MESSAGES,
            Tag.DPF_RESULT,
            Tag.SET_DPF,
            Tag.MS_AVAILABILITY_STATUS,
            Tag.DELIVERY_FAILURE_REASON,
            Tag.MORE_MESSAGES_TO_SEND,
            Tag.MESSAGE_STATE,
            Tag.USSD_SERVICE_OP,
            Tag.DISPLAY_TIME,
            Tag.MS_VALIDITY,
            Tag.ITS_REPLY_TYPE,
        ),
        1,
    ),
    **dict.fromkeys(
        (
            Tag.USER_MESSAGE_REFERENCE,
            Tag.SOURCE_PORT,
            Tag.DESTINATION_PORT,
            Tag.SAR_MSG_REF_NUM,
            Tag.SMS_SIGNAL,
        ),
        2,
    ),
    Tag.QOS_TIME_TO_LIVE: 4,
}
"""Integer TLVs and their exact value length in octets (section 5.3.2)."""

TLV_CSTRING_MAX: dict[int, int] = {
    Tag.ADDITIONAL_STATUS_INFO_TEXT: 256,
    Tag.RECEIPTED_MESSAGE_ID: 65,
}
"""C-octet-string TLVs and their maximum length including the NUL (5.3.2.11, 5.3.2.12)."""

_TL = struct.Struct(">HH")
_INT_FORMATS = {1: struct.Struct(">HHB"), 2: struct.Struct(">HHH"), 4: struct.Struct(">HHI")}
_INT_DECODE = {1: struct.Struct(">B"), 2: struct.Struct(">H"), 4: struct.Struct(">I")}


class TlvError(Exception):
    """A TLV stream that does not parse; `status` is what the sender should be told."""

    def __init__(self, status: CommandStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def find_tlv(tlvs: tuple[Tlv, ...], tag: int) -> TlvValue | None:
    """Value of the first TLV with `tag`, or None."""
    for tlv in tlvs:
        if tlv.tag == tag:
            return tlv.value
    return None


def decode_tlvs(data: bytes, pos: int) -> tuple[Tlv, ...]:
    """Parse `data[pos:]` as a TLV stream (section 3.2.4); raises TlvError."""
    end = len(data)
    tlvs = []
    while pos < end:
        if end - pos < 4:
            raise TlvError(CommandStatus.ESME_RINVOPTPARSTREAM, "truncated TLV header")
        tag, length = _TL.unpack_from(data, pos)
        pos += 4
        if end - pos < length:
            raise TlvError(CommandStatus.ESME_RINVOPTPARSTREAM, f"TLV 0x{tag:04X} overruns PDU")
        tlvs.append(Tlv(tag, _decode_value(tag, data[pos : pos + length])))
        pos += length
    return tuple(tlvs)


def _decode_value(tag: int, raw: bytes) -> TlvValue:
    size = TLV_INT_SIZES.get(tag)
    if size is not None:
        if len(raw) != size:
            raise TlvError(CommandStatus.ESME_RINVPARLEN, f"TLV 0x{tag:04X} must be {size} octets")
        value: int = _INT_DECODE[size].unpack(raw)[0]
        return value
    limit = TLV_CSTRING_MAX.get(tag)
    if limit is None:
        return raw
    if raw.endswith(b"\0"):
        raw = raw[:-1]  # the NUL is optional in practice; see module docstring
    if len(raw) >= limit or 0 in raw:
        raise TlvError(
            CommandStatus.ESME_RINVPARLEN, f"TLV 0x{tag:04X} is not a C-string < {limit}"
        )
    return raw.decode("latin-1")


def encode_tlvs(tlvs: tuple[Tlv, ...]) -> list[bytes]:
    """Wire form of each TLV; raises LocalProtocolError for a value of the wrong type/size."""
    return [encode_tlv(tlv) for tlv in tlvs]


def encode_tlv(tlv: Tlv) -> bytes:
    tag, value = tlv.tag, tlv.value
    size = TLV_INT_SIZES.get(tag)
    try:
        if size is not None:
            if not isinstance(value, int):
                raise LocalProtocolError(f"TLV 0x{tag:04X} takes an int, got {value!r}")
            return _INT_FORMATS[size].pack(tag, size, value)
        raw = _raw_value(tag, value)
        return _TL.pack(tag, len(raw)) + raw
    except struct.error as exc:
        raise LocalProtocolError(f"TLV 0x{tag:04X}={value!r} out of range: {exc}") from None


def _raw_value(tag: int, value: TlvValue) -> bytes:
    limit = TLV_CSTRING_MAX.get(tag)
    if limit is None:
        if not isinstance(value, bytes):
            raise LocalProtocolError(f"TLV 0x{tag:04X} takes bytes, got {value!r}")
        return value
    if not isinstance(value, str):
        raise LocalProtocolError(f"TLV 0x{tag:04X} takes a str, got {value!r}")
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        raise LocalProtocolError(f"TLV 0x{tag:04X} is not latin-1: {value!r}") from None
    if len(raw) >= limit or 0 in raw:
        raise LocalProtocolError(f"TLV 0x{tag:04X} must be a C-string shorter than {limit}")
    return raw + b"\0"


def raw_tlvs(tlvs: tuple[Tlv, ...]) -> dict[int, bytes]:
    """The wire value of each TLV by tag (first occurrence wins), for modules that read
    raw optional parameters (concat.read_part, receipt.parse_receipt)."""
    raw: dict[int, bytes] = {}
    for tlv in tlvs:
        if tlv.tag not in raw:
            raw[tlv.tag] = encode_tlv(tlv)[4:]
    return raw


def tlvs_from_raw(raw: dict[int, bytes]) -> tuple[Tlv, ...]:
    """Typed TLVs from raw values (as concat.plan_parts and receipt.build_receipt_tlvs
    produce them); raises TlvError for a value of the wrong size."""
    return tuple(Tlv(tag, _decode_value(tag, value)) for tag, value in raw.items())
