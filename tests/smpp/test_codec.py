"""Codec tests: hand-written spec vectors, section-4 limits, hypothesis round trips and fuzz."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import struct
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kodeord.smpp.codec import PduReader, decode, encode
from kodeord.smpp.constants import CommandId, CommandStatus, EsmClass, MessageState, Tag
from kodeord.smpp.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from kodeord.smpp.pdu import (
    ALL_PDU_CLASSES,
    BODY_OMITTED_ON_ERROR,
    PDU_CLASSES,
    AlertNotification,
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    CancelSm,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    DistributionList,
    EnquireLink,
    GenericNack,
    InvalidPdu,
    Outbind,
    Pdu,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    SmeAddress,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    UnsuccessSme,
    Wire,
)
from kodeord.smpp.tlv import TLV_CSTRING_MAX, TLV_INT_SIZES, Tlv

S = CommandStatus


def hexbytes(text: str) -> bytes:
    """Hex with spaces, newlines and `#` comments, as the vectors below are written."""
    return bytes.fromhex("".join(line.split("#")[0] for line in text.splitlines()))


# --- spec-style vectors, written by hand from section 4 ---------------------------------

VECTORS: list[tuple[str, str, Pdu]] = [
    (
        "bind_transmitter",
        """
        0000002F 00000002 00000000 00000001  # length 47, bind_transmitter, seq 1
        534D5050335445535400                 # system_id "SMPP3TEST"
        736563726574303800                   # password "secret08"
        5355424D49543100                     # system_type "SUBMIT1"
        34 01 01                             # interface_version 3.4, addr_ton, addr_npi
        00                                   # address_range ""
        """,
        BindTransmitter(
            sequence_number=1,
            system_id="SMPP3TEST",
            password="secret08",
            system_type="SUBMIT1",
            addr_ton=1,
            addr_npi=1,
        ),
    ),
    (
        "bind_transmitter_resp with sc_interface_version",
        """
        0000001A 80000002 00000000 00000001
        534D534300                           # system_id "SMSC"
        0210 0001 34                         # TLV sc_interface_version = 0x34
        """,
        BindTransmitterResp(
            sequence_number=1, system_id="SMSC", tlvs=(Tlv(Tag.SC_INTERFACE_VERSION, 0x34),)
        ),
    ),
    (
        "submit_sm",
        """
        00000037 00000004 00000000 00000002  # length 55, submit_sm, seq 2
        00                                   # service_type ""
        05 00 4B6F64656F726400               # source: alphanumeric, "Kodeord"
        01 01 3437343132333435363700         # dest: international ISDN "4741234567"
        00 00 00                             # esm_class, protocol_id, priority_flag
        00 00                                # schedule_delivery_time, validity_period
        01 00 00 00                          # registered_delivery, replace, dcs, default id
        05 48616C6C6F                        # sm_length 5, "Hallo"
        """,
        SubmitSm(
            sequence_number=2,
            source_addr_ton=5,
            source_addr="Kodeord",
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr="4741234567",
            registered_delivery=1,
            short_message=b"Hallo",
        ),
    ),
    (
        "deliver_sm receipt with TLVs",
        """
        00000048 00000005 00000000 00000010  # length 72, deliver_sm, seq 16
        00                                   # service_type ""
        01 01 3437343132333435363700         # source "4741234567"
        00 00 3230373700                     # destination "2077"
        04 00 00                             # esm_class: SMSC delivery receipt
        00 00                                # schedule, validity
        00 00 00 00                          # registered_delivery, replace, dcs, default id
        06 69643A616263                      # sm_length 6, "id:abc"
        001E 0004 61626300                   # receipted_message_id "abc"
        0427 0001 02                         # message_state DELIVERED
        1401 0002 7879                       # vendor TLV, kept raw
        """,
        DeliverSm(
            sequence_number=16,
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr="4741234567",
            destination_addr="2077",
            esm_class=EsmClass.TYPE_DELIVERY_RECEIPT,
            short_message=b"id:abc",
            tlvs=(
                Tlv(Tag.RECEIPTED_MESSAGE_ID, "abc"),
                Tlv(Tag.MESSAGE_STATE, MessageState.DELIVERED),
                Tlv(0x1401, b"xy"),
            ),
        ),
    ),
    (
        "submit_sm_resp",
        "00000014 80000004 00000000 00000002 61626300",
        SubmitSmResp(sequence_number=2, message_id="abc"),
    ),
    (
        "submit_sm_resp error, body omitted (4.4.2)",
        "00000010 80000004 00000058 00000002",
        SubmitSmResp(sequence_number=2, command_status=S.ESME_RTHROTTLED),
    ),
    ("enquire_link", "00000010 00000015 00000000 00000007", EnquireLink(sequence_number=7)),
    (
        "generic_nack",
        "00000010 80000000 00000003 00000009",
        GenericNack(sequence_number=9, command_status=S.ESME_RINVCMDID),
    ),
]


@pytest.mark.parametrize(("wire", "pdu"), [v[1:] for v in VECTORS], ids=[v[0] for v in VECTORS])
def test_vector_decodes_and_encodes(wire: str, pdu: Pdu) -> None:
    data = hexbytes(wire)
    assert decode(data) == pdu
    assert encode(pdu) == data


def test_vectors_through_reader_whole_and_byte_by_byte() -> None:
    stream = b"".join(hexbytes(v[1]) for v in VECTORS)
    expected = [v[2] for v in VECTORS]
    whole = PduReader()
    whole.feed(stream)
    assert list(iter(whole.read, None)) == expected
    trickle = PduReader()
    got = []
    for i in range(len(stream)):
        trickle.feed(stream[i : i + 1])
        got += iter(trickle.read, None)
    assert got == expected
    assert trickle.buffered == 0


def test_deliver_sm_tlv_lookup() -> None:
    pdu = decode(hexbytes(VECTORS[3][1]))
    assert isinstance(pdu, DeliverSm)
    assert pdu.tlv(Tag.RECEIPTED_MESSAGE_ID) == "abc"
    assert pdu.tlv(Tag.MESSAGE_STATE) == MessageState.DELIVERED
    assert pdu.tlv(0x1401) == b"xy"
    assert pdu.tlv(Tag.NETWORK_ERROR_CODE) is None


# --- section 4 limits: longest value accepted, one more octet refused ------------------

Limits = dict[str, int]


def _each(classes: tuple[type[Pdu], ...], limits: Limits) -> dict[type[Pdu], Limits]:
    return {cls: dict(limits) for cls in classes}


# Longest value (characters) of every C-octet string, written from section 4: the spec's
# "Var. max N" counts the NUL, so N - 1 characters fit.
LIMITS: dict[type[Pdu], Limits] = {
    **_each(
        (BindTransmitter, BindReceiver, BindTransceiver),
        {"system_id": 15, "password": 8, "system_type": 12, "address_range": 40},
    ),
    **_each((BindTransmitterResp, BindReceiverResp, BindTransceiverResp), {"system_id": 15}),
    Outbind: {"system_id": 15, "password": 8},
    **_each(
        (SubmitSm, DeliverSm),
        {
            "service_type": 5,
            "source_addr": 20,
            "destination_addr": 20,
            "schedule_delivery_time": 16,
            "validity_period": 16,
        },
    ),
    SubmitMulti: {
        "service_type": 5,
        "source_addr": 20,
        "schedule_delivery_time": 16,
        "validity_period": 16,
    },
    SubmitSmResp: {"message_id": 64},
    SubmitMultiResp: {"message_id": 64},
    DeliverSmResp: {"message_id": 64},  # spec: NULL; we accept echoed ids (see pdu.py)
    DataSm: {"service_type": 5, "source_addr": 64, "destination_addr": 64},
    DataSmResp: {"message_id": 64},
    QuerySm: {"message_id": 64, "source_addr": 20},
    QuerySmResp: {"message_id": 64, "final_date": 16},
    CancelSm: {"service_type": 5, "message_id": 64, "source_addr": 20, "destination_addr": 20},
    ReplaceSm: {
        "message_id": 64,
        "source_addr": 20,
        "schedule_delivery_time": 16,
        "validity_period": 16,
    },
    AlertNotification: {"source_addr": 64, "esme_addr": 64},
}
LIMIT_CASES = [(cls, name, n) for cls, limits in LIMITS.items() for name, n in limits.items()]


@pytest.mark.parametrize(("cls", "name", "longest"), LIMIT_CASES)
def test_c_string_limits(cls: type[Pdu], name: str, longest: int) -> None:
    ok = cls(**{name: "9" * longest})
    assert decode(encode(ok)) == ok
    with pytest.raises(LocalProtocolError, match=name):
        encode(cls(**{name: "9" * (longest + 1)}))
    too_long = encode(cls(**{name: "9" * longest})).replace(b"9" * longest, b"9" * (longest + 1))
    too_long = struct.pack(">I", len(too_long)) + too_long[4:]
    assert isinstance(decode(too_long), InvalidPdu)


def test_every_c_string_field_has_a_checked_limit() -> None:
    """A C-string field added to pdu.py without a row above fails here."""
    declared = {
        (cls, f.name)
        for cls in ALL_PDU_CLASSES
        for f in dataclasses.fields(cls)
        if isinstance(f.metadata.get("wire"), Wire) and f.metadata["wire"].kind == "cstr"
    }
    assert declared == {(cls, name) for cls, name, _ in LIMIT_CASES}


ENCODE_ERRORS: list[tuple[str, Pdu]] = [
    ("non-latin-1", SubmitSm(source_addr="Ω")),
    ("NUL inside", SubmitSm(source_addr="20\x0077")),
    ("str, not bytes", SubmitSm(short_message="hi")),  # type: ignore[arg-type]
    ("255 octets", SubmitSm(short_message=b"x" * 255)),
    ("u8 overflow", SubmitSm(esm_class=256)),
    ("negative", SubmitSm(data_coding=-1)),
    ("sequence overflow", EnquireLink(sequence_number=2**32)),
    ("int TLV given bytes", SubmitSm(tlvs=(Tlv(Tag.SAR_MSG_REF_NUM, b"\x00\x01"),))),
    ("int TLV too big", SubmitSm(tlvs=(Tlv(Tag.SAR_TOTAL_SEGMENTS, 256),))),
    ("octet TLV given str", SubmitSm(tlvs=(Tlv(Tag.MESSAGE_PAYLOAD, "hi"),))),
    ("cstr TLV too long", DeliverSm(tlvs=(Tlv(Tag.RECEIPTED_MESSAGE_ID, "x" * 65),))),
    ("TLV over 64 KiB", DataSm(tlvs=(Tlv(Tag.MESSAGE_PAYLOAD, b"x" * 65536),))),
    ("255 destinations", SubmitMulti(dest_addresses=(SmeAddress(),) * 255)),
    ("dl_name too long", SubmitMulti(dest_addresses=(DistributionList("x" * 21),))),
    ("bad destination", SubmitMulti(dest_addresses=("4741",))),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("pdu", [e[1] for e in ENCODE_ERRORS], ids=[e[0] for e in ENCODE_ERRORS])
def test_encode_refuses(pdu: Pdu) -> None:
    with pytest.raises(LocalProtocolError):
        encode(pdu)


def test_error_responses_omit_body_only_where_the_spec_says() -> None:
    """4.1.2, 4.4.2, 4.8.2: "body is not returned if command_status is non-zero"."""
    omitted = {"BindTransmitterResp", "BindReceiverResp", "BindTransceiverResp"}
    omitted |= {"SubmitSmResp", "QuerySmResp"}
    for cls in ALL_PDU_CLASSES:
        strings = {n: "x" for n in LIMITS.get(cls, {})}
        if not cls.command_id.is_response or not strings:
            continue
        data = encode(cls(command_status=S.ESME_RSYSERR, **strings))
        assert (len(data) == 16) == (cls.__name__ in omitted), cls


# --- decoding of well-framed but bad PDUs: a value, never an exception -----------------


def frame(command_id: int, body: bytes, status: int = 0, sequence: int = 5) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, status, sequence) + body


SUBMIT_BODY = encode(SubmitSm(source_addr="2077", short_message=b"hi"))[16:]

SM, DSM, MULTI = CommandId.SUBMIT_SM, CommandId.DELIVER_SM, CommandId.SUBMIT_MULTI
BIND = CommandId.BIND_TRANSMITTER
NO_SRC = b"\0\0\0"  # service_type "", source ton, npi
NO_MULTI_SRC = b"\0\0\0\0"  # ... and source_addr ""

INVALID: list[tuple[str, bytes, CommandStatus]] = [
    ("unknown command", frame(0x00000077, b"abc"), S.ESME_RINVCMDID),
    ("unknown response", frame(0x80000077, b""), S.ESME_RINVCMDID),
    ("empty submit_sm", frame(SM, b""), S.ESME_RINVCMDLEN),
    ("truncated submit_sm", frame(SM, SUBMIT_BODY[:-3]), S.ESME_RINVCMDLEN),
    ("unterminated string", frame(SM, NO_SRC + b"1" * 5), S.ESME_RINVCMDLEN),
    ("source_addr of 21", frame(SM, NO_SRC + b"1" * 21 + b"\0" * 40), S.ESME_RINVSRCADR),
    ("system_id of 16", frame(BIND, b"s" * 16 + b"\0" * 20), S.ESME_RINVSYSID),
    ("password of 9", frame(BIND, b"\0" + b"p" * 9 + b"\0" * 20), S.ESME_RINVPASWD),
    ("sm_length 255", frame(SM, SUBMIT_BODY[:-3] + b"\xff" + b"x" * 255), S.ESME_RINVMSGLEN),
    ("half a TLV header", frame(SM, SUBMIT_BODY + b"\x02"), S.ESME_RINVOPTPARSTREAM),
    ("TLV overruns", frame(SM, SUBMIT_BODY + b"\x04\x24\x00\x09ab"), S.ESME_RINVOPTPARSTREAM),
    ("int TLV of 2", frame(SM, SUBMIT_BODY + b"\x02\x0e\x00\x02\x00\x01"), S.ESME_RINVPARLEN),
    (
        "cstr TLV of 66",
        frame(DSM, SUBMIT_BODY + b"\x00\x1e\x00\x42" + b"a" * 66),
        S.ESME_RINVPARLEN,
    ),
    ("dest_flag 3", frame(MULTI, NO_MULTI_SRC + b"\x01\x03" + b"\0" * 20), S.ESME_RINVDESTFLAG),
    ("255 destinations", frame(MULTI, NO_MULTI_SRC + b"\xff" + b"\0" * 20), S.ESME_RINVNUMDESTS),
    ("dl_name of 21", frame(MULTI, NO_MULTI_SRC + b"\x01\x02" + b"d" * 21), S.ESME_RINVDLNAME),
]


@pytest.mark.parametrize(("data", "status"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID])
def test_bad_body_becomes_invalid_pdu(data: bytes, status: CommandStatus) -> None:
    pdu = decode(data)
    assert isinstance(pdu, InvalidPdu)
    assert (pdu.reply_status, pdu.sequence_number, pdu.body) == (status, 5, data[16:])


def test_lenient_decoding() -> None:
    """What real peers send: receipted_message_id without NUL; empty-bodied responses."""
    no_nul = frame(CommandId.DELIVER_SM, SUBMIT_BODY + b"\x00\x1e\x00\x03abc")
    pdu = decode(no_nul)
    assert isinstance(pdu, DeliverSm) and pdu.tlv(Tag.RECEIPTED_MESSAGE_ID) == "abc"
    assert decode(frame(CommandId.SUBMIT_SM_RESP, b"")) == SubmitSmResp(sequence_number=5)
    error_with_body = decode(frame(CommandId.SUBMIT_SM_RESP, b"x1\0", status=S.ESME_RSYSERR))
    assert error_with_body == SubmitSmResp(5, S.ESME_RSYSERR, message_id="x1")


# --- broken framing: RemoteProtocolError, and the reader stays broken -------------------


@pytest.mark.parametrize("length", [0, 1, 15, 0x11001, 0xFFFFFFFF])
def test_reader_refuses_bad_command_length(length: int) -> None:
    reader = PduReader()
    reader.feed(struct.pack(">I", length) + b"\0" * 40)
    for _ in range(2):
        with pytest.raises(RemoteProtocolError) as info:
            reader.read()
        assert info.value.status == S.ESME_RINVCMDLEN


def test_reader_max_is_configurable() -> None:
    reader = PduReader(max_command_length=100)
    reader.feed(frame(CommandId.SUBMIT_SM, b"x" * 84))  # exactly 100
    assert isinstance(reader.read(), InvalidPdu)
    reader.feed(frame(CommandId.SUBMIT_SM, b"x" * 85))
    with pytest.raises(RemoteProtocolError):
        reader.read()


@pytest.mark.parametrize("data", [b"", b"\0" * 15, frame(CommandId.ENQUIRE_LINK, b"") + b"\0"])
def test_decode_needs_exactly_one_pdu(data: bytes) -> None:
    with pytest.raises(RemoteProtocolError):
        decode(data)


def test_reader_waits_for_whole_pdu() -> None:
    data = encode(EnquireLink(sequence_number=3))
    reader = PduReader()
    reader.feed(data[:3])
    assert reader.read() is None
    reader.feed(data[3:15])
    assert reader.read() is None
    reader.feed(data[15:])
    assert reader.read() == EnquireLink(sequence_number=3)
    assert reader.read() is None


# --- hypothesis: every PDU type round-trips -------------------------------------------

latin1_text = st.characters(min_codepoint=1, max_codepoint=255)


def c_string(max_len: int) -> st.SearchStrategy[str]:
    return st.text(latin1_text, max_size=max_len - 1)


u8 = st.integers(0, 255)
u32 = st.integers(0, 2**32 - 1)

sme_address = st.builds(SmeAddress, u8, u8, c_string(21))
dest_address = st.one_of(sme_address, st.builds(DistributionList, c_string(21)))
unsuccess_sme = st.builds(UnsuccessSme, u8, u8, c_string(21), u32)

_FIELD_STRATEGIES: dict[str, Any] = {
    "u8": lambda w: u8,
    "u32": lambda w: u32,
    "cstr": lambda w: c_string(w.max_len),
    "sm": lambda w: st.binary(max_size=254),
    "dests": lambda w: st.lists(dest_address, max_size=5).map(tuple),
    "unsuccess": lambda w: st.lists(unsuccess_sme, max_size=5).map(tuple),
}

_TLV_SIZE_MAX = {1: 255, 2: 65535, 4: 2**32 - 1}
known_int_tlv = st.sampled_from(sorted(TLV_INT_SIZES.items())).flatmap(
    lambda item: st.builds(Tlv, st.just(item[0]), st.integers(0, _TLV_SIZE_MAX[item[1]]))
)
known_cstr_tlv = st.sampled_from(sorted(TLV_CSTRING_MAX.items())).flatmap(
    lambda item: st.builds(Tlv, st.just(item[0]), c_string(item[1]))
)
octet_tags = [t for t in Tag if t not in TLV_INT_SIZES and t not in TLV_CSTRING_MAX]
octet_tlv = st.builds(
    Tlv,
    st.one_of(
        st.sampled_from(octet_tags),
        st.integers(0, 0xFFFF).filter(
            lambda t: t not in TLV_INT_SIZES and t not in TLV_CSTRING_MAX
        ),
    ),
    st.binary(max_size=40),
)
tlv = st.one_of(known_int_tlv, known_cstr_tlv, octet_tlv)


def pdu_strategy(cls: type[Pdu]) -> st.SearchStrategy[Pdu]:
    body = {
        f.name: _FIELD_STRATEGIES[f.metadata["wire"].kind](f.metadata["wire"])
        for f in dataclasses.fields(cls)
        if isinstance(f.metadata.get("wire"), Wire)
    }
    status = st.just(0) | u32 if cls.command_id.is_response else st.just(0)

    @st.composite
    def build(draw: st.DrawFn) -> Pdu:
        command_status = draw(status)
        omit = command_status != 0 and cls.command_id in BODY_OMITTED_ON_ERROR
        fields = {} if omit else {name: draw(s) for name, s in body.items()}
        tlvs = () if omit else tuple(draw(st.lists(tlv, max_size=4)))
        return cls(draw(u32), command_status, tlvs, **fields)

    return build()


any_pdu = st.one_of([pdu_strategy(cls) for cls in ALL_PDU_CLASSES])


@pytest.mark.parametrize("cls", ALL_PDU_CLASSES, ids=lambda c: c.__name__)
@given(data=st.data())
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip(cls: type[Pdu], data: st.DataObject) -> None:
    pdu = data.draw(pdu_strategy(cls))
    wire = encode(pdu)
    assert decode(wire) == pdu
    assert struct.unpack_from(">II", wire) == (len(wire), cls.command_id)


@given(pdus=st.lists(any_pdu, min_size=1, max_size=6), cuts=st.lists(st.integers(0, 2000)))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_reader_round_trip_any_chunking(pdus: list[Pdu], cuts: list[int]) -> None:
    stream = b"".join(encode(p) for p in pdus)
    reader = PduReader()
    got = []
    for start, end in _pairs(sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})):
        reader.feed(stream[start:end])
        got += iter(reader.read, None)
    assert got == pdus


def _pairs(points: list[int]) -> list[tuple[int, int]]:
    return list(itertools.pairwise(points))


# --- hypothesis: hostile bytes never raise anything but our ProtocolError --------------

known_ids = st.sampled_from(sorted(PDU_CLASSES))


@given(command_id=known_ids | u32, status=u32, sequence=u32, body=st.binary(max_size=300))
@settings(max_examples=1500)
def test_random_body_decodes_to_a_value(
    command_id: int, status: int, sequence: int, body: bytes
) -> None:
    pdu = decode(frame(command_id, body, status, sequence))
    assert isinstance(pdu, Pdu | InvalidPdu)
    assert pdu.sequence_number == sequence
    if isinstance(pdu, Pdu) and not (status and command_id in BODY_OMITTED_ON_ERROR):
        assert decode(encode(pdu)) == pdu  # whatever we accept, we can say back


@given(data=st.binary(max_size=400))
@settings(max_examples=1500)
def test_random_bytes_raise_only_protocol_errors(data: bytes) -> None:
    reader = PduReader(max_command_length=300)
    reader.feed(data)
    try:
        while reader.read() is not None:
            pass
    except ProtocolError:
        pass
    with contextlib.suppress(ProtocolError):
        decode(data)


@given(pdu=any_pdu, flips=st.lists(st.tuples(st.integers(16, 10_000), u8), min_size=1))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_corrupted_bodies_never_escape(pdu: Pdu, flips: list[tuple[int, int]]) -> None:
    wire = bytearray(encode(pdu))
    for offset, value in flips:
        if len(wire) > 16:
            wire[16 + offset % (len(wire) - 16)] = value
    result = decode(bytes(wire))
    assert isinstance(result, Pdu | InvalidPdu)


# --- no password in any repr or error message ------------------------------------------

SECRET = "pässwd"  # latin-1: encodable, so only a repr could show it


@pytest.mark.parametrize(
    "pdu",
    [cls(password=SECRET) for cls in ALL_PDU_CLASSES if "password" in cls.__dataclass_fields__],
    ids=lambda pdu: type(pdu).__name__,
)
def test_no_repr_of_a_pdu_shows_its_password(pdu: Pdu) -> None:
    assert SECRET not in repr(pdu) and SECRET not in str(pdu)
    decoded = decode(encode(pdu))
    assert decoded == pdu and SECRET not in repr(decoded)


def test_an_undecodable_bind_shows_no_body() -> None:
    frame = bytearray(encode(BindTransceiver(1, system_id="shop", password=SECRET)))
    frame[-1] = 0x41  # address_range loses its NUL: the body no longer parses
    invalid = decode(bytes(frame))
    assert isinstance(invalid, InvalidPdu) and SECRET.encode("latin-1") in invalid.body
    assert SECRET not in repr(invalid) and "p\\xe4sswd" not in repr(invalid)


def test_a_password_that_cannot_be_encoded_is_not_in_the_error() -> None:
    with pytest.raises(LocalProtocolError) as caught:
        encode(BindTransceiver(system_id="shop", password="€uro"))
    assert "€uro" not in str(caught.value) and "password" in str(caught.value)
