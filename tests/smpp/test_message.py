"""Text ↔ message parts: compose then read back, for every concatenation method."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.smpp.concat import ConcatMethod
from kodeord.smpp.message import body_status, compose, decode_parts, read_body
from kodeord.smpp.pdu import DataSm, DeliverSm, SubmitSm
from kodeord.smpp.text import Encoding
from kodeord.smpp.tlv import tlvs_from_raw

CASES = [
    ("Hei", Encoding.GSM7, 1),
    ("Blåbær æøå ÆØÅ", Encoding.GSM7, 1),
    ("€" * 80, Encoding.GSM7, 1),  # 160 septets: one part
    ("€" * 81, Encoding.GSM7, 2),
    ("x" * 400, Encoding.GSM7, 3),
    ("Hei 😀", Encoding.UCS2, 1),
    ("😀" * 35, Encoding.UCS2, 1),  # 70 UTF-16 units
    ("😀" * 36, Encoding.UCS2, 2),
    ("Привет", Encoding.UCS2, 1),
]


@pytest.mark.parametrize(("content", "encoding", "parts"), CASES)
@pytest.mark.parametrize("method", [ConcatMethod.UDH8, ConcatMethod.UDH16, ConcatMethod.SAR])
def test_compose_and_read_back(
    content: str, encoding: Encoding, parts: int, method: ConcatMethod
) -> None:
    composed = compose(content, ref=300, method=method)
    assert composed.encoding is encoding and len(composed.parts) == parts
    received = [
        read_body(
            DeliverSm(
                short_message=p.short_message,
                esm_class=p.esm_class_bits,
                data_coding=p.data_coding,
                tlvs=p.tlvs,
            )
        )
        for p in composed.parts
    ]
    if parts > 1:
        assert [r.concat.seq for r in received if r.concat] == list(range(1, parts + 1))
    assert decode_parts([r.payload for r in received], received[0].data_coding) == content


def test_message_payload_is_read_from_data_sm() -> None:
    composed = compose("x" * 300, ref=1, method=ConcatMethod.PAYLOAD)
    (part,) = composed.parts
    body = read_body(DataSm(data_coding=0, tlvs=part.tlvs))
    assert decode_parts([body.payload], 0) == "x" * 300


def test_a_broken_udh_leaves_the_data_as_it_came() -> None:
    body = read_body(SubmitSm(esm_class=0x40, short_message=b"\x09\x00\x03"))
    assert body.payload == b"\x09\x00\x03" and body.concat is None


@given(st.text(max_size=600))
def test_any_text_round_trips(content: str) -> None:
    composed = compose(content, ref=7)
    payloads = [
        read_body(
            SubmitSm(
                short_message=p.short_message,
                esm_class=p.esm_class_bits,
                data_coding=p.data_coding,
                tlvs=p.tlvs,
            )
        ).payload
        for p in composed.parts
    ]
    expected = content.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")
    assert decode_parts(payloads, composed.parts[0].data_coding) == expected


# --- refusing a UDH that cannot be right (message.body_status, concat.user_data_status) --

_PAYLOAD = 0x0424
UDH_CASES = [
    # (esm_class, short_message, tlvs, expected status name or None)
    (0x00, b"\x05\x00\x03\x01\x02\x01", (), None),  # no UDHI: the octets are text
    (0x40, b"\x05\x00\x03\x01\x02\x01hei", (), None),  # a concatenation IE, then text
    (0x40, b"\x06\x05\x04\x0b\x84\x23\xf0data", (), None),  # port addressing
    (0x40, b"\x00hei", (), None),  # an empty UDH is still a UDH
    (0x40, b"\x05\x00\x03\x01\x02\x01", (), None),  # nothing after the UDH
    (0x40, b"", (), "ESME_RINVESMCLASS"),  # UDHI claims a header that is not there
    (0x43, b"", (), "ESME_RINVESMCLASS"),
    (0x40, b"\x50hei", (), "ESME_RINVMSGLEN"),  # UDHL 80 in a 4-octet message
    (0x40, b"\xff", (), "ESME_RINVMSGLEN"),
    (0x40, b"\x03\x00\x03\x01hei", (), "ESME_RINVMSGLEN"),  # the IE runs past the UDHL
    (0x40, b"\x01\x00", (), "ESME_RINVMSGLEN"),  # an IE without its length octet
    (0x40, b"", ((_PAYLOAD, b"\x05\x00\x03\x07\x02\x01hei"),), None),  # UDH in the payload
    (0x40, b"", ((_PAYLOAD, b"\x09hei"),), "ESME_RINVMSGLEN"),
    (0x40, b"", ((_PAYLOAD, b""),), "ESME_RINVESMCLASS"),
]


@pytest.mark.parametrize(("esm_class", "short_message", "tlvs", "status"), UDH_CASES)
@pytest.mark.parametrize("kind", [SubmitSm, DataSm])
def test_body_status_refuses_a_udh_that_does_not_fit(
    kind: type[SubmitSm | DataSm],
    esm_class: int,
    short_message: bytes,
    tlvs: tuple[tuple[int, bytes], ...],
    status: str | None,
) -> None:
    if kind is DataSm and short_message:  # data_sm has no short_message: use the payload
        tlvs, short_message = ((_PAYLOAD, short_message),), b""
    fields = {"short_message": short_message} if kind is SubmitSm else {}
    pdu = kind(esm_class=esm_class, tlvs=tlvs_from_raw(dict(tlvs)), **fields)  # type: ignore[arg-type]
    found = body_status(pdu)
    assert (found.name if found is not None else None) == status
