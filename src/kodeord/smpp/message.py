"""Text ↔ SMPP message parts: the one place that turns a text into the submit_sm /
deliver_sm bodies that carry it, and a received body back into a part of a text.

Composing: pick the encoding (GSM 03.38 when every character fits, else UCS-2), cut it
into parts without splitting an escape or surrogate pair (text.split), and give each
part its UDH (8-bit reference by default) or sar_* TLVs (concat.plan_parts).

Reading: take the UDH or sar_* TLVs off a received body (concat.read_part), and decode
the payload by data_coding once all parts are in (decoding a part alone could cut a
UCS-2 pair that a sloppy peer split). Unknown data codings are read as GSM 03.38, the
default alphabet, which is what SMSCs mean by data_coding 0 and most vendor values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kodeord.smpp import text as smtext
from kodeord.smpp.concat import (
    Concat,
    ConcatMethod,
    UdhError,
    plan_parts,
    read_part,
    udh_length,
    user_data_status,
)
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import DataSm, DeliverSm, SubmitSm
from kodeord.smpp.text import Encoding
from kodeord.smpp.tlv import Tlv, raw_tlvs, tlvs_from_raw


@dataclass(frozen=True, slots=True)
class OutgoingPart:
    """One submit_sm/deliver_sm body: OR `esm_class_bits` into esm_class."""

    short_message: bytes
    esm_class_bits: int
    data_coding: int
    tlvs: tuple[Tlv, ...]


@dataclass(frozen=True, slots=True)
class ComposedMessage:
    encoding: Encoding
    parts: tuple[OutgoingPart, ...]


def compose(
    content: str,
    *,
    ref: int,
    encoding: Encoding | None = None,
    method: ConcatMethod = ConcatMethod.UDH8,
) -> ComposedMessage:
    """The parts that carry `content`; raises smtext.MessageTooLong over 255 parts."""
    chosen = encoding or smtext.choose_encoding(content)
    segments = smtext.split(content, chosen, udh_length=udh_length(method))
    parts = tuple(
        OutgoingPart(
            part.short_message,
            part.esm_class_bits,
            chosen.data_coding,
            tlvs_from_raw(dict(part.tlvs)),
        )
        for part in plan_parts(segments.parts, method, ref)
    )
    return ComposedMessage(chosen, parts)


@dataclass(frozen=True, slots=True)
class IncomingPart:
    """A received body taken apart: its payload, data_coding and place in a long message."""

    payload: bytes
    data_coding: int
    concat: Concat | None


def read_body(pdu: SubmitSm | DeliverSm | DataSm) -> IncomingPart:
    """Take apart a received message body; a malformed UDH leaves the data as it came."""
    short_message = pdu.short_message if not isinstance(pdu, DataSm) else b""
    raw = raw_tlvs(pdu.tlvs)
    try:
        part = read_part(short_message, pdu.esm_class, raw)
    except UdhError:
        return IncomingPart(short_message, pdu.data_coding, None)
    return IncomingPart(part.payload, pdu.data_coding, part.concat)


def body_status(pdu: SubmitSm | DeliverSm | DataSm) -> CommandStatus | None:
    """The status to refuse a received body with when its UDH cannot be right, else None
    (concat.user_data_status); read_body() itself stays lenient towards operators."""
    short_message = pdu.short_message if not isinstance(pdu, DataSm) else b""
    return user_data_status(short_message, pdu.esm_class, raw_tlvs(pdu.tlvs))


def encoding_of(data_coding: int) -> Encoding:
    return smtext.Encoding.from_data_coding(data_coding) or Encoding.GSM7


def decode_parts(payloads: Sequence[bytes], data_coding: int) -> str:
    """The text of a whole message from its payloads in order; binary becomes hex."""
    encoding = encoding_of(data_coding)
    joined = b"".join(payloads)
    if encoding is Encoding.BINARY:
        return joined.hex()
    return smtext.decode(joined, encoding)
