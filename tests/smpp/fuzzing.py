"""What the SMPP fuzzers check for each input, shared by tests/smpp/test_fuzz.py (hypothesis,
in `make test`) and bench/smpp_fuzz.py (a million seeded inputs). Rules:

- The codec: a byte stream fed to a PduReader whole, in the given chunks and octet by
  octet gives the same PDUs (or InvalidPdu values) and, if the framing breaks, raises
  RemoteProtocolError at the same place, and nothing else ever escapes. Every decoded
  PDU encodes again and decodes to itself (an error response whose body the spec
  omits, 4.1.2/4.4.2/4.8.2, to itself without the body).
- A session (both roles, bound or not): fed the same stream, whole or in chunks, it
  gives the same events; the only exception is RemoteProtocolError, after which it keeps
  raising. Requests it reports can be answered (or refused with LocalProtocolError),
  its timers fire, `close()` hands back a list, and its state stays one of BindState.

`check(stream, cuts)` runs all of it and returns the outcome's name for counting;
`mutate(data, op)` applies one mutation (`MUTATIONS` names them) to valid PDUs' bytes.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterable, Sequence

from kodeord.smpp.codec import PduReader, decode, encode
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.errors import LocalProtocolError, RemoteProtocolError
from kodeord.smpp.events import NEED_DATA, Event, RequestReceived
from kodeord.smpp.pdu import BODY_OMITTED_ON_ERROR, BindTransceiver, InvalidPdu, Pdu
from kodeord.smpp.session import Session, SessionConfig
from kodeord.smpp.states import BindState, Role

BROKEN = "broken framing"
CONFIG = SessionConfig(window=4, response_timeout=5.0, inactivity_timeout=60.0, pdu_timeout=9.0)

Outcome = list[Pdu | InvalidPdu | str]
Mutation = tuple[str, int, int | bytes]
MUTATIONS = ("flip", "set", "truncate", "insert", "delete", "repeat", "length", "command")
"""(name, position, value): xor an octet, set one, cut the tail off, insert octets, delete
or repeat `value` octets, set the first command_length, set the first command_id."""


def mutate(data: bytes, op: Mutation) -> bytes:
    """`data` changed by one mutation; positions wrap around its length."""
    name, position, value = op
    if not data:
        return value if isinstance(value, bytes) else data
    at = position % len(data)
    n = value if isinstance(value, int) else len(value)
    if name == "flip":
        return data[:at] + bytes([data[at] ^ (n % 255 + 1)]) + data[at + 1 :]
    if name == "set":
        return data[:at] + bytes([n % 256]) + data[at + 1 :]
    if name == "truncate":
        return data[:at]
    if name == "insert":
        extra = value if isinstance(value, bytes) else bytes([n % 256])
        return data[:at] + extra + data[at:]
    if name == "delete":
        return data[:at] + data[at + n % 32 + 1 :]
    if name == "repeat":
        return data[:at] + data[at : at + n % 32 + 1] + data[at:]
    if len(data) < 8:
        return data
    field = struct.pack(">I", n % 2**32 if name == "length" else n)
    offset = 0 if name == "length" else 4
    return data[:offset] + field + data[offset + 4 :]


def split(stream: bytes, cuts: Iterable[int]) -> list[bytes]:
    """`stream` cut at the given offsets (out-of-range and repeated cuts are ignored)."""
    points = sorted({c for c in cuts if 0 < c < len(stream)})
    return [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]


def read_all(chunks: Iterable[bytes]) -> Outcome:
    """Everything a PduReader makes of `chunks`: PDUs, then BROKEN if the framing broke."""
    reader = PduReader()
    found: Outcome = []
    try:
        for chunk in chunks:
            reader.feed(chunk)
            while (pdu := reader.read()) is not None:
                found.append(pdu)
    except RemoteProtocolError:
        found.append(BROKEN)
    return found


def check_codec(stream: bytes, chunks: Sequence[bytes]) -> Outcome:
    whole = read_all([stream])
    assert read_all(chunks) == whole, "chunked reading differs from reading whole"
    assert read_all(stream[i : i + 1] for i in range(len(stream))) == whole, "octet by octet"
    for pdu in whole:
        if isinstance(pdu, Pdu):
            again = pdu
            if pdu.command_status and pdu.command_id in BODY_OMITTED_ON_ERROR:
                again = type(pdu)(pdu.sequence_number, pdu.command_status)  # sent header-only
            assert decode(encode(pdu)) == again, f"{type(pdu).__name__} does not round-trip"
    return whole


def bound_pair(role: Role) -> Session:
    """A session of `role`, bound as transceiver through a real bind exchange."""
    esme, smsc = Session(Role.ESME, 0.0, CONFIG), Session(Role.SMSC, 0.0, CONFIG)
    _, data = esme.send_request(BindTransceiver(system_id="fuzz", password="pw"), 0.0)
    smsc.receive_data(data, 0.0)
    event = smsc.next_event()
    assert isinstance(event, RequestReceived)
    esme.receive_data(smsc.respond(event.pdu, CommandStatus.ESME_ROK, system_id="s"), 0.0)
    assert esme.next_event() is not NEED_DATA
    assert esme.state is BindState.BOUND_TRX and smsc.state is BindState.BOUND_TRX
    return esme if role is Role.ESME else smsc


def run_session(session: Session, chunks: Iterable[bytes]) -> list[Event | str]:
    """Feed `chunks` at t=1, answer what may be answered; the events (BROKEN last)."""
    events: list[Event | str] = []
    try:
        for chunk in chunks:
            session.receive_data(chunk, 1.0)
            while (event := session.next_event()) is not NEED_DATA:
                events.append(event)
                _answer(session, event)
    except RemoteProtocolError:
        events.append(BROKEN)
        try:
            session.next_event()
        except RemoteProtocolError:
            pass
        else:
            raise AssertionError("a session with broken framing read on") from None
    return events


def _answer(session: Session, event: Event) -> None:
    if isinstance(event, RequestReceived):
        # outbind / alert_notification need no answer; some states forbid one
        with contextlib.suppress(LocalProtocolError):
            session.respond(event.pdu, CommandStatus.ESME_ROK)


def check_session(stream: bytes, chunks: Sequence[bytes]) -> None:
    for role in (Role.ESME, Role.SMSC):
        for make in (lambda role=role: bound_pair(role), lambda role=role: Session(role, 0.0)):
            whole, pieces = make(), make()
            events = run_session(whole, [stream])
            assert run_session(pieces, chunks) == events, "chunked events differ"
            for session in (whole, pieces):
                session.data_to_send()
                session.handle_timer(30.0)
                session.handle_timer(1000.0)
                assert isinstance(session.state, BindState)
                assert isinstance(session.close(), list)
                assert session.state is BindState.CLOSED


def check(stream: bytes, cuts: Iterable[int] = ()) -> str:
    """Run every check on `stream` (also cut at `cuts`); the outcome, for counting."""
    chunks = split(stream, cuts)
    found = check_codec(stream, chunks)
    check_session(stream, chunks)
    if found and found[-1] == BROKEN:
        return BROKEN
    if any(isinstance(pdu, InvalidPdu) for pdu in found):
        return "invalid PDU"
    return "well-formed" if found else "incomplete"
