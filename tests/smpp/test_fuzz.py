"""Hypothesis fuzz of the SMPP codec and session, bounded to a few seconds: valid PDUs of
every type, mutated (tests/smpp/fuzzing.py's MUTATIONS), and plain random bytes, fed
whole, in random chunks and octet by octet. Only our ProtocolError (RemoteProtocolError)
or events come out, and no session is left in a bad state. bench/smpp_fuzz.py runs the
same checks over a million seeded inputs."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kodeord.smpp.codec import encode
from kodeord.smpp.constants import CommandId
from kodeord.smpp.pdu import Pdu
from tests.smpp.fuzzing import BROKEN, MUTATIONS, Mutation, check, mutate
from tests.smpp.test_codec import any_pdu

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COMMAND_IDS = [int(c) for c in CommandId]

positions = st.integers(0, 2**16)
mutation: st.SearchStrategy[Mutation] = st.one_of(
    st.tuples(st.sampled_from(MUTATIONS[:3]), positions, st.integers(0, 255)),
    st.tuples(st.just("insert"), positions, st.binary(min_size=1, max_size=12)),
    st.tuples(st.sampled_from(["delete", "repeat"]), positions, st.integers(0, 31)),
    st.tuples(st.just("length"), st.just(0), st.integers(0, 2**32 - 1) | st.integers(0, 300)),
    st.tuples(st.just("command"), st.just(0), st.sampled_from(COMMAND_IDS) | positions),
)
cuts = st.lists(st.integers(1, 2000), max_size=6)


@given(pdus=st.lists(any_pdu, min_size=1, max_size=3), ops=st.lists(mutation, max_size=4), cut=cuts)
@FUZZ
def test_mutated_pdus_give_only_pdus_invalid_pdus_or_broken_framing(
    pdus: list[Pdu], ops: list[Mutation], cut: list[int]
) -> None:
    stream = b"".join(encode(pdu) for pdu in pdus)
    for op in ops:
        stream = mutate(stream, op)
    check(stream, cut)


@given(stream=st.binary(max_size=300), cut=cuts)
@FUZZ
def test_random_bytes_give_only_protocol_errors_or_events(stream: bytes, cut: list[int]) -> None:
    check(stream, cut)


@given(command_id=st.sampled_from(COMMAND_IDS), body=st.binary(max_size=120), cut=cuts)
@FUZZ
def test_well_framed_random_bodies_of_every_command(
    command_id: int, body: bytes, cut: list[int]
) -> None:
    stream = struct.pack(">IIII", 16 + len(body), command_id, 0, 7) + body
    assert check(stream, cut) != BROKEN  # framing is fine: a PDU or an InvalidPdu


@pytest.mark.parametrize(
    ("stream", "outcome"),
    [
        (b"", "incomplete"),
        (struct.pack(">I", 15), BROKEN),
        (struct.pack(">IIII", 16, 0x15, 0, 1), "well-formed"),
        (struct.pack(">IIII", 16, 0x99, 0, 1), "invalid PDU"),
        (struct.pack(">IIII", 17, 0x15, 0, 1), "incomplete"),
    ],
)
def test_the_checker_tells_outcomes_apart(stream: bytes, outcome: str) -> None:
    """The fuzz checks can fail: each outcome is recognised for what it is."""
    assert check(stream, [3]) == outcome
