"""Text ↔ message parts: compose then read back, for every concatenation method."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.smpp.concat import ConcatMethod
from kodeord.smpp.message import compose, decode_parts, read_body
from kodeord.smpp.pdu import DataSm, DeliverSm, SubmitSm
from kodeord.smpp.text import Encoding

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
