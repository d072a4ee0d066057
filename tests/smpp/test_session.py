"""Session tests: an ESME session and an SMSC session piped together in memory.

Time is a plain float handed to the sessions; nothing sleeps. The state table is checked
exhaustively against MAY_SEND below, written from SMPP 3.4 section 2.4 independently of
kodeord.smpp.states (command -> states, where the module has state -> commands).
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kodeord.smpp.codec import decode, encode
from kodeord.smpp.constants import CommandId, CommandStatus
from kodeord.smpp.errors import (
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    WindowFullError,
)
from kodeord.smpp.events import (
    NEED_DATA,
    Event,
    InactivityTimeout,
    InvalidResponse,
    PduRejected,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    UnexpectedResponse,
)
from kodeord.smpp.pdu import (
    PDU_CLASSES,
    AlertNotification,
    BindReceiver,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    DataSm,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    response_class,
)
from kodeord.smpp.session import Session, SessionConfig
from kodeord.smpp.states import BindState, Role

S = CommandStatus
C = CommandId
ESME, SMSC = Role.ESME, Role.SMSC
QUIET = SessionConfig(enquire_link_interval=None, inactivity_timeout=None)


def drain(session: Session) -> list[Event]:
    events = []
    while (event := session.next_event()) is not NEED_DATA:
        events.append(event)
    return events


@dataclass
class Link:
    """Two sessions and the pipe between them; `now` is the shared fake clock."""

    esme_config: SessionConfig = QUIET
    smsc_config: SessionConfig = QUIET
    now: float = 0.0
    esme: Session = field(init=False)
    smsc: Session = field(init=False)

    def __post_init__(self) -> None:
        self.esme = Session(ESME, self.now, self.esme_config)
        self.smsc = Session(SMSC, self.now, self.smsc_config)

    def side(self, role: Role) -> tuple[Session, Session]:
        return (self.esme, self.smsc) if role is ESME else (self.smsc, self.esme)

    def deliver(self, to: Session, data: bytes) -> list[Event]:
        to.receive_data(data, self.now)
        return drain(to)

    def request(self, sender: Session, pdu: Pdu) -> tuple[Pdu, list[Event]]:
        """`sender` sends `pdu`; returns it numbered, and the events at the other side."""
        request, data = sender.send_request(pdu, self.now)
        return request, self.deliver(self.other(sender), data)

    def answer(
        self, responder: Session, request: Pdu, status: int = 0, **kw: object
    ) -> list[Event]:
        return self.deliver(self.other(responder), responder.respond(request, status, **kw))

    def flush(self, sender: Session) -> list[Event]:
        return self.deliver(self.other(sender), sender.data_to_send())

    def other(self, session: Session) -> Session:
        return self.smsc if session is self.esme else self.esme

    def bind(self, bind: Pdu | None = None) -> None:
        _, events = self.request(self.esme, bind or BindTransceiver(system_id="k", password="pw"))
        [received] = events
        assert isinstance(received, RequestReceived)
        [ok] = self.answer(self.smsc, received.pdu, system_id="smsc")
        assert isinstance(ok, ResponseReceived) and ok.response.command_status == 0


def bound(esme: SessionConfig = QUIET, smsc: SessionConfig = QUIET) -> Link:
    link = Link(esme, smsc)
    link.bind()
    return link


def submit(n: int = 0) -> SubmitSm:
    return SubmitSm(source_addr="2077", destination_addr=f"4741{n:06d}", short_message=b"hei")


# --- bind --------------------------------------------------------------------------------

BINDS = [
    (BindTransmitter, BindState.BOUND_TX),
    (BindReceiver, BindState.BOUND_RX),
    (BindTransceiver, BindState.BOUND_TRX),
]


@pytest.mark.parametrize(("bind", "state"), BINDS)
def test_bind_waits_for_the_application_then_binds(bind: type[Pdu], state: BindState) -> None:
    link = Link()
    request, events = link.request(link.esme, bind(system_id="kodeord", password="secret"))
    assert events == [RequestReceived(request)]
    assert link.smsc.state is link.esme.state is BindState.BINDING
    assert link.smsc.data_to_send() == b""  # nothing answered behind the application's back
    [event] = link.answer(link.smsc, request, system_id="smsc")
    assert isinstance(event, ResponseReceived) and event.request == request
    assert link.esme.state is link.smsc.state is state


def test_rejected_bind_returns_to_open_and_may_retry() -> None:
    link = Link()
    request, _ = link.request(link.esme, BindTransceiver(system_id="k", password="wrong"))
    [event] = link.answer(link.smsc, request, S.ESME_RINVPASWD)
    assert isinstance(event, ResponseReceived)
    assert event.response == BindTransceiverResp(request.sequence_number, S.ESME_RINVPASWD)
    assert link.esme.state is link.smsc.state is BindState.OPEN
    link.bind()
    assert link.esme.state is BindState.BOUND_TRX


def test_bind_timeout_returns_to_open() -> None:
    link = Link()
    request, _ = link.request(link.esme, BindTransmitter())
    assert link.esme.handle_timer(30.0) == [RequestTimedOut(request)]
    assert link.esme.state is BindState.OPEN


def test_outbind_is_reported_and_needs_no_answer() -> None:
    link = Link()
    outbind, events = link.request(link.smsc, Outbind(system_id="smsc", password="pw"))
    assert events == [RequestReceived(outbind)]
    assert link.smsc.in_flight == 0 and link.smsc.get_timer() is None
    with pytest.raises(LocalProtocolError):
        link.esme.respond(outbind)
    link.bind(BindReceiver(system_id="k"))
    assert link.esme.state is BindState.BOUND_RX


# --- requests and responses ----------------------------------------------------------


def test_submit_is_answered_only_by_the_application() -> None:
    link = bound()
    request, events = link.request(link.esme, submit())
    assert events == [RequestReceived(request)]
    assert link.smsc.data_to_send() == b""
    [event] = link.answer(link.smsc, request, message_id="msg-1")
    assert event == ResponseReceived(request, SubmitSmResp(request.sequence_number, 0, (), "msg-1"))
    assert link.esme.in_flight == 0


def test_deliver_sm_is_answered_only_by_the_application() -> None:
    link = bound()
    request, events = link.request(link.smsc, DeliverSm(source_addr="4741", short_message=b"x"))
    assert events == [RequestReceived(request)]
    assert link.esme.data_to_send() == b""
    [event] = link.answer(link.esme, request)
    assert event == ResponseReceived(request, DeliverSmResp(request.sequence_number))


def test_data_sm_both_ways_on_a_transceiver() -> None:
    link = bound()
    for sender in (link.esme, link.smsc):
        request, [event] = link.request(sender, DataSm(source_addr="x" * 64))
        assert event == RequestReceived(request)
        [answer] = link.answer(link.other(sender), request, S.ESME_RX_T_APPN, message_id="d1")
        assert isinstance(answer, ResponseReceived)
        assert answer.response.command_status == S.ESME_RX_T_APPN


RESPOND_MISUSE = [
    ("twice", lambda link, req: [link.smsc.respond(req) for _ in range(2)]),
    ("unknown sequence", lambda link, req: link.smsc.respond(SubmitSm(sequence_number=999))),
    ("other command", lambda link, req: link.smsc.respond(DataSm(sequence_number=2))),
    ("by the sender", lambda link, req: link.esme.respond(req)),
    ("bad field", lambda link, req: link.smsc.respond(req, message_id="x" * 65)),
]


@pytest.mark.parametrize(
    "misuse", [m[1] for m in RESPOND_MISUSE], ids=[m[0] for m in RESPOND_MISUSE]
)
def test_respond_misuse_raises(misuse: Callable[[Link, Pdu], object]) -> None:
    link = bound()
    request, _ = link.request(link.esme, submit())
    assert request.sequence_number == 2
    with pytest.raises(LocalProtocolError):
        misuse(link, request)


def test_refused_answer_leaves_the_request_answerable() -> None:
    link = bound()
    request, _ = link.request(link.esme, submit())
    with pytest.raises(LocalProtocolError):
        link.smsc.respond(request, message_id="x" * 65)
    [event] = link.answer(link.smsc, request, message_id="x" * 64)
    assert isinstance(event, ResponseReceived)


def test_send_request_refuses_responses_and_numbers_requests() -> None:
    link = bound()
    with pytest.raises(LocalProtocolError, match="respond"):
        link.esme.send_request(SubmitSmResp(), 0.0)
    first, _ = link.esme.send_request(SubmitSm(sequence_number=77), 0.0)
    second, _ = link.esme.send_request(SubmitSm(sequence_number=77), 0.0)
    # the session numbers requests itself (1 was the bind); the caller's 77 is ignored
    assert (first.sequence_number, second.sequence_number) == (2, 3)


def test_sequence_numbers_wrap_and_skip_outstanding() -> None:
    link = bound()
    link.esme._next_sequence = 0x7FFFFFFE  # white-box: 2**31 sends would take too long
    numbers = [link.esme.send_request(submit(), 0.0)[0].sequence_number for _ in range(3)]
    assert numbers == [0x7FFFFFFE, 0x7FFFFFFF, 1]
    link.esme._next_sequence = 0x7FFFFFFE
    assert link.esme.send_request(submit(), 0.0)[0].sequence_number == 2  # 0x7FFFFFFE.. in use


def test_alert_notification_needs_no_answer() -> None:
    link = Link(smsc_config=QUIET)
    link.bind(BindReceiver())
    alert, [event] = link.request(link.smsc, AlertNotification(source_addr="4741"))
    assert event == RequestReceived(alert)
    assert link.smsc.in_flight == 0
    with pytest.raises(LocalProtocolError):
        link.esme.respond(alert)


def test_generic_nack_answers_the_request_it_names() -> None:
    link = bound()
    request, _ = link.esme.send_request(submit(), 0.0)
    nack = GenericNack(request.sequence_number, S.ESME_RTHROTTLED)
    assert link.deliver(link.esme, encode(nack)) == [ResponseReceived(request, nack)]
    assert link.esme.in_flight == 0


UNEXPECTED = [
    ("unknown sequence", SubmitSmResp(sequence_number=42, message_id="m")),
    ("wrong command", DeliverSmResp(sequence_number=2)),
    ("generic_nack seq 0", GenericNack(sequence_number=0, command_status=S.ESME_RINVCMDLEN)),
]


@pytest.mark.parametrize("response", [u[1] for u in UNEXPECTED], ids=[u[0] for u in UNEXPECTED])
def test_unexpected_response_is_an_event(response: Pdu) -> None:
    link = bound()
    request, _ = link.esme.send_request(submit(), 0.0)
    assert request.sequence_number == 2
    assert link.deliver(link.esme, encode(response)) == [UnexpectedResponse(response)]
    assert link.esme.in_flight == 1  # still waiting for the real answer


def test_undecodable_response_hands_the_request_back() -> None:
    link = bound()
    request, _ = link.esme.send_request(submit(), 0.0)
    long_id = struct.pack(">IIII", 16 + 70, C.SUBMIT_SM_RESP, 0, request.sequence_number)
    [event] = link.deliver(link.esme, long_id + b"m" * 69 + b"\0")
    assert isinstance(event, InvalidResponse) and event.request == request
    assert event.pdu.reply_status == S.ESME_RINVMSGID
    assert link.esme.in_flight == 0 and link.esme.data_to_send() == b""  # responses get no reply


def test_peer_reusing_an_unanswered_sequence_number_is_refused() -> None:
    link = bound()
    first = SubmitSm(sequence_number=9, destination_addr="a")
    assert link.deliver(link.smsc, encode(first)) == [RequestReceived(first)]
    duplicate = SubmitSm(sequence_number=9, destination_addr="b")
    assert link.deliver(link.smsc, encode(duplicate)) == [PduRejected(duplicate, S.ESME_RSYSERR)]
    assert decode(link.smsc.data_to_send()) == SubmitSmResp(9, S.ESME_RSYSERR)
    link.smsc.respond(first, message_id="m1")  # the first is still answerable


# --- invalid input from the peer ------------------------------------------------------


def _frame(command_id: int, body: bytes, sequence: int = 5) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, 0, sequence) + body


SUBMIT_BODY = encode(SubmitSm())[16:]
BAD_INPUT = [
    ("unknown command", _frame(0x77, b""), GenericNack(5, S.ESME_RINVCMDID)),
    ("truncated", _frame(C.SUBMIT_SM, b"\0\0"), SubmitSmResp(5, S.ESME_RINVCMDLEN)),
    (
        "long source_addr",
        _frame(C.SUBMIT_SM, b"\0" * 3 + b"1" * 30),
        SubmitSmResp(5, S.ESME_RINVSRCADR),
    ),
    (
        "bad TLVs",
        _frame(C.SUBMIT_SM, SUBMIT_BODY + b"\x01"),
        SubmitSmResp(5, S.ESME_RINVOPTPARSTREAM),
    ),
]


@pytest.mark.parametrize(
    ("data", "reply"), [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT]
)
def test_bad_pdus_are_answered_by_the_session(data: bytes, reply: Pdu) -> None:
    link = bound()
    [event] = link.deliver(link.smsc, data)
    assert isinstance(event, PduRejected) and event.status == reply.command_status
    assert decode(link.smsc.data_to_send()) == reply
    assert link.smsc.state is BindState.BOUND_TRX  # a bad PDU does not end the session


def test_broken_framing_raises() -> None:
    link = bound()
    link.smsc.receive_data(struct.pack(">IIII", 12, C.SUBMIT_SM, 0, 1), 0.0)
    with pytest.raises(RemoteProtocolError):
        link.smsc.next_event()


def test_conversation_survives_byte_by_byte_delivery() -> None:
    link = bound()
    requests = [link.esme.send_request(submit(i), 0.0) for i in range(3)]
    stream = b"".join(data for _, data in requests)
    events = []
    for i in range(len(stream)):
        events += link.deliver(link.smsc, stream[i : i + 1])
    assert events == [RequestReceived(request) for request, _ in requests]


# --- window, timeouts, close -----------------------------------------------------------


def test_window_fills_and_drains() -> None:
    link = bound(esme=SessionConfig(window=3, enquire_link_interval=None))
    sent = [link.request(link.esme, submit(i))[0] for i in range(3)]
    assert not link.esme.can_send() and link.esme.in_flight == 3
    with pytest.raises(WindowFullError):
        link.esme.send_request(submit(), 0.0)
    link.esme.send_request(EnquireLink(), 0.0)  # link upkeep is outside the window
    link.answer(link.smsc, sent[1], message_id="b")
    assert link.esme.can_send() and link.esme.in_flight == 2
    link.request(link.esme, submit(9))
    assert not link.esme.can_send()


def test_response_timeouts_hand_requests_back_in_order() -> None:
    config = SessionConfig(
        response_timeout=10.0, enquire_link_interval=None, inactivity_timeout=None
    )
    link = bound(esme=config)
    a, _ = link.esme.send_request(submit(1), 1.0)
    b, _ = link.esme.send_request(submit(2), 2.0)
    c, _ = link.esme.send_request(submit(3), 3.0)
    assert link.esme.get_timer() == 11.0
    assert link.esme.handle_timer(10.9) == []
    assert link.esme.handle_timer(12.0) == [RequestTimedOut(a), RequestTimedOut(b)]
    assert link.esme.in_flight == 1 and link.esme.get_timer() == 13.0
    link.deliver(link.esme, encode(SubmitSmResp(c.sequence_number, message_id="c")))
    assert link.esme.get_timer() is None
    assert link.esme.handle_timer(100.0) == []


def test_close_hands_back_unanswered_requests_oldest_first() -> None:
    link = bound(esme=SessionConfig(enquire_link_interval=1.0, inactivity_timeout=None))
    sent = [link.esme.send_request(submit(i), 0.0)[0] for i in range(4)]
    link.deliver(link.esme, encode(SubmitSmResp(sent[2].sequence_number, message_id="m")))
    link.esme.handle_timer(5.0)  # our own enquire_link goes out, unanswered
    assert link.esme.close() == [sent[0], sent[1], sent[3]]
    assert link.esme.state is BindState.CLOSED and link.esme.in_flight == 0
    assert link.esme.get_timer() is None and link.esme.close() == []
    with pytest.raises(LocalProtocolError):
        link.esme.send_request(submit(), 5.0)


# --- enquire_link and inactivity ------------------------------------------------------


def test_enquire_link_after_idle_interval_is_answered_automatically() -> None:
    link = bound(esme=SessionConfig(enquire_link_interval=10.0, inactivity_timeout=None))
    assert link.esme.get_timer() == 10.0 and link.smsc.get_timer() is None
    assert link.esme.handle_timer(9.0) == [] and link.esme.data_to_send() == b""
    link.now = 10.0
    assert link.esme.handle_timer(10.0) == []
    keepalive = link.esme.data_to_send()
    assert decode(keepalive) == EnquireLink(sequence_number=2)
    assert link.esme.get_timer() == 40.0  # now the response deadline, no second keepalive
    assert link.deliver(link.smsc, keepalive) == []  # answered, not reported
    link.now = 10.5
    assert link.flush(link.smsc) == []  # the answer is not reported either
    assert link.esme.get_timer() == 20.5  # idle interval restarts from what we heard


def test_traffic_postpones_enquire_link() -> None:
    link = bound(esme=SessionConfig(enquire_link_interval=10.0, inactivity_timeout=None))
    link.now = 8.0
    link.request(link.smsc, DeliverSm())
    assert link.esme.get_timer() == 18.0


def test_unanswered_enquire_link_reports_inactivity_once() -> None:
    config = SessionConfig(
        enquire_link_interval=10.0, response_timeout=5.0, inactivity_timeout=None
    )
    link = bound(esme=config)
    link.esme.handle_timer(10.0)
    assert decode(link.esme.data_to_send()) == EnquireLink(sequence_number=2)
    assert link.esme.handle_timer(15.0) == [InactivityTimeout("enquire_link unanswered", 0.0)]
    assert decode(link.esme.data_to_send()) == EnquireLink(sequence_number=3)  # keeps probing
    assert link.esme.handle_timer(45.0) == []  # reported once, until the peer is heard
    link.now = 45.0
    link.deliver(link.esme, encode(EnquireLink(sequence_number=7)))
    assert link.esme.handle_timer(100.0) == [InactivityTimeout("enquire_link unanswered", 45.0)]


def test_inactivity_timeout_fires_once_and_rearms_on_traffic() -> None:
    link = bound(smsc=SessionConfig(enquire_link_interval=None, inactivity_timeout=60.0))
    assert link.smsc.get_timer() == 60.0
    [event] = link.smsc.handle_timer(61.0)
    assert event == InactivityTimeout("nothing received for 60 s", 0.0)
    assert link.smsc.handle_timer(200.0) == [] and link.smsc.get_timer() is None
    link.now = 300.0
    link.request(link.esme, submit())
    assert link.smsc.get_timer() == 360.0


def test_no_enquire_link_unless_bound() -> None:
    link = Link(SessionConfig(enquire_link_interval=5.0, inactivity_timeout=None))
    assert link.esme.get_timer() is None
    assert link.esme.handle_timer(100.0) == [] and link.esme.data_to_send() == b""


# --- unbind ----------------------------------------------------------------------------


@pytest.mark.parametrize("initiator", [ESME, SMSC])
def test_unbind_drains_outstanding_work(initiator: Role) -> None:
    link = bound()
    submitted, _ = link.request(link.esme, submit())
    delivered, _ = link.request(link.smsc, DeliverSm())
    me, peer = link.side(initiator)
    unbind, [event] = link.request(me, Unbind())
    assert event == RequestReceived(unbind)
    assert me.state is peer.state is BindState.UNBINDING
    with pytest.raises(LocalProtocolError):  # no new work while unbinding
        link.esme.send_request(submit(), 0.0)
    link.answer(link.smsc, submitted, message_id="s1")  # old work still completes
    link.answer(link.esme, delivered)
    assert link.esme.in_flight == link.smsc.in_flight == 0  # unbind is outside the window
    [done] = link.answer(peer, unbind)
    assert done == ResponseReceived(unbind, UnbindResp(unbind.sequence_number))
    assert me.state is peer.state is BindState.CLOSED
    assert me.close() == [] and peer.close() == []


def test_crossing_unbinds() -> None:
    link = bound()
    esme_unbind, esme_data = link.esme.send_request(Unbind(), 0.0)
    smsc_unbind, smsc_data = link.smsc.send_request(Unbind(), 0.0)
    assert link.deliver(link.esme, smsc_data) == [RequestReceived(smsc_unbind)]
    assert link.deliver(link.smsc, esme_data) == [RequestReceived(esme_unbind)]
    link.answer(link.esme, smsc_unbind)
    link.answer(link.smsc, esme_unbind)
    assert link.esme.state is link.smsc.state is BindState.CLOSED


def test_unbind_timeout_closes() -> None:
    link = bound()
    unbind, _ = link.esme.send_request(Unbind(), 0.0)
    assert link.esme.handle_timer(30.0) == [RequestTimedOut(unbind)]
    assert link.esme.state is BindState.CLOSED


# --- the state table, exhaustively -----------------------------------------------------

OPEN, BINDING, CLOSED = BindState.OPEN, BindState.BINDING, BindState.CLOSED
TX = {BindState.BOUND_TX, BindState.BOUND_TRX}
RX = {BindState.BOUND_RX, BindState.BOUND_TRX}
LIVE = TX | RX | {BindState.UNBINDING}
UNBINDING = {BindState.UNBINDING}

# Who may send what, in which states (section 2.4 table 2-1; enquire_link also in OPEN).
_BOTH: dict[int, set[BindState]] = {
    C.UNBIND: LIVE,
    C.UNBIND_RESP: UNBINDING,
    C.ENQUIRE_LINK: LIVE | {OPEN},
    C.ENQUIRE_LINK_RESP: LIVE | {OPEN},
    C.GENERIC_NACK: LIVE | {OPEN, BINDING},
}
MAY_SEND: dict[Role, dict[int, set[BindState]]] = {
    ESME: {
        **_BOTH,
        C.BIND_TRANSMITTER: {OPEN},
        C.BIND_RECEIVER: {OPEN},
        C.BIND_TRANSCEIVER: {OPEN},
        C.SUBMIT_SM: TX,
        C.SUBMIT_MULTI: TX,
        C.DATA_SM: TX,
        C.QUERY_SM: TX,
        C.CANCEL_SM: TX,
        C.REPLACE_SM: TX,
        C.DELIVER_SM_RESP: RX | UNBINDING,
        C.DATA_SM_RESP: RX | UNBINDING,
    },
    SMSC: {
        **_BOTH,
        C.OUTBIND: {OPEN},
        C.BIND_TRANSMITTER_RESP: {BINDING},
        C.BIND_RECEIVER_RESP: {BINDING},
        C.BIND_TRANSCEIVER_RESP: {BINDING},
        C.DELIVER_SM: RX,
        C.DATA_SM: RX,
        C.ALERT_NOTIFICATION: RX,
        C.SUBMIT_SM_RESP: TX | UNBINDING,
        C.SUBMIT_MULTI_RESP: TX | UNBINDING,
        C.DATA_SM_RESP: TX | UNBINDING,
        C.QUERY_SM_RESP: TX | UNBINDING,
        C.CANCEL_SM_RESP: TX | UNBINDING,
        C.REPLACE_SM_RESP: TX | UNBINDING,
    },
}

# Every state, reached by real exchanges; UNBINDING and CLOSED each two ways.
VARIANTS = [
    (OPEN, ""),
    (BINDING, ""),
    (BindState.BOUND_TX, ""),
    (BindState.BOUND_RX, ""),
    (BindState.BOUND_TRX, ""),
    (BindState.UNBINDING, "we unbind"),
    (BindState.UNBINDING, "peer unbinds"),
    (CLOSED, "unbind done"),
    (CLOSED, "close()"),
]
_BIND_FOR = {
    BindState.BOUND_TX: BindTransmitter,
    BindState.BOUND_RX: BindReceiver,
    BindState.BOUND_TRX: BindTransceiver,
}


def reach(role: Role, state: BindState, how: str) -> Session:
    link = Link()
    me, peer = link.side(role)
    if state is BINDING:
        link.request(link.esme, BindTransceiver())
    elif state is not OPEN:
        link.bind(_BIND_FOR.get(state, BindTransceiver)())
    if how in ("we unbind", "unbind done"):
        unbind, _ = link.request(me, Unbind())
        if how == "unbind done":
            link.answer(peer, unbind)
    elif how == "peer unbinds":
        link.request(peer, Unbind())
    elif how == "close()":
        me.close()
    assert me.state is state
    me.data_to_send()
    return me


BIND_IDS = {C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER}
ALL_IDS = sorted(PDU_CLASSES)
REQUEST_IDS = [c for c in ALL_IDS if not c & 0x80000000]
RESPONSE_IDS = [c for c in ALL_IDS if c & 0x80000000]
CASES = [(role, state, how) for role in Role for state, how in VARIANTS]


def _case_id(case: tuple[Role, BindState, str]) -> str:
    role, state, how = case
    return f"{role.name}-{state.name}" + (f"-{how}" if how else "")


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("command_id", REQUEST_IDS, ids=lambda c: C(c).name)
def test_table_incoming_request(case: tuple[Role, BindState, str], command_id: int) -> None:
    role, state, how = case
    session = reach(role, state, how)
    pdu = PDU_CLASSES[command_id](sequence_number=0x5000)
    session.receive_data(encode(pdu), 1.0)
    events = drain(session)
    reply = session.data_to_send()
    if state not in MAY_SEND[role.peer].get(command_id, set()):
        status = (
            S.ESME_RALYBND if command_id in BIND_IDS and state in TX | RX else S.ESME_RINVBNDSTS
        )
        assert events == [PduRejected(pdu, status)]
        expected = (response_class(command_id) or GenericNack)(0x5000, status)
        assert decode(reply) == expected
    elif command_id == C.ENQUIRE_LINK:
        assert events == [] and decode(reply) == EnquireLinkResp(0x5000)
    else:
        assert events == [RequestReceived(pdu)] and reply == b""


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("command_id", RESPONSE_IDS, ids=lambda c: C(c).name)
def test_table_incoming_unmatched_response(
    case: tuple[Role, BindState, str], command_id: int
) -> None:
    session = reach(*case)
    pdu = PDU_CLASSES[command_id](sequence_number=0x5000)
    session.receive_data(encode(pdu), 1.0)
    assert drain(session) == [UnexpectedResponse(pdu)]
    assert session.data_to_send() == b""  # a response is never answered


@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("command_id", ALL_IDS, ids=lambda c: C(c).name)
def test_table_local_send(case: tuple[Role, BindState, str], command_id: int) -> None:
    role, state, how = case
    session = reach(role, state, how)
    pdu = PDU_CLASSES[command_id]()
    allowed = not command_id & 0x80000000 and state in MAY_SEND[role].get(command_id, set())
    if allowed:
        request, data = session.send_request(pdu, 1.0)
        assert decode(data) == request
    else:
        with pytest.raises(LocalProtocolError):
            session.send_request(pdu, 1.0)


# Responding to a request received while bound, after the state moved on.
RESPOND_LATER = [
    (role, asked, how, allowed)
    for role, asked in [(SMSC, submit()), (ESME, DeliverSm()), (ESME, DataSm())]
    for how, allowed in [
        ("", True),
        ("we unbind", True),
        ("peer unbinds", True),
        ("unbind done", False),
        ("close()", False),
    ]
]


@pytest.mark.parametrize(("role", "asked", "how", "allowed"), RESPOND_LATER)
def test_table_local_response(role: Role, asked: Pdu, how: str, allowed: bool) -> None:
    link = bound()
    me, peer = link.side(role)
    received, _ = link.request(peer, asked)
    if how in ("we unbind", "unbind done"):
        unbind, _ = link.request(me, Unbind())
        if how == "unbind done":
            link.answer(peer, unbind)
    elif how == "peer unbinds":
        link.request(peer, Unbind())
    elif how == "close()":
        me.close()
    if allowed:
        assert decode(me.respond(received)).sequence_number == received.sequence_number
    else:
        with pytest.raises(LocalProtocolError):
            me.respond(received)


# --- properties ------------------------------------------------------------------------

OPS = st.lists(st.sampled_from(["send", "send", "answer", "tick", "nack"]), max_size=60)


@given(ops=OPS, data=st.data())
@settings(max_examples=150, deadline=None)
def test_every_request_is_settled_exactly_once(ops: list[str], data: st.DataObject) -> None:
    """Whatever mix of answers, nacks and timeouts: each request comes back once."""
    config = SessionConfig(window=4, response_timeout=5.0, enquire_link_interval=None)
    link = bound(esme=config)
    sent: list[Pdu] = []
    at_smsc: list[Pdu] = []
    settled: list[Pdu] = []
    for op in ops:
        assert 0 <= link.esme.in_flight <= 4
        if op == "send" and not link.esme.can_send():
            with pytest.raises(WindowFullError):
                link.esme.send_request(submit(), link.now)
        elif op == "send":
            request, [event] = link.request(link.esme, submit(len(sent)))
            sent.append(request)
            at_smsc.append(event.pdu)  # type: ignore[union-attr]
        elif op in ("answer", "nack") and at_smsc:
            request = at_smsc.pop(data.draw(st.integers(0, len(at_smsc) - 1)))
            if op == "answer":
                events = link.answer(link.smsc, request, message_id="m")
            else:
                link.smsc.respond(request, S.ESME_RSYSERR)  # forget it at the SMSC
                events = link.deliver(link.esme, encode(GenericNack(request.sequence_number, 8)))
            settled += [e.request for e in events if isinstance(e, ResponseReceived)]
        elif op == "tick":
            link.now += data.draw(st.sampled_from([0.5, 2.0, 6.0]))
            timeouts = link.esme.handle_timer(link.now)
            settled += [e.request for e in timeouts if isinstance(e, RequestTimedOut)]
    settled += link.esme.close()
    assert sorted(r.sequence_number for r in settled) == [r.sequence_number for r in sent]


KNOWN_IDS = st.sampled_from(ALL_IDS)


@given(
    frames=st.lists(
        st.tuples(
            KNOWN_IDS | st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.binary(max_size=80)
        ),
        max_size=8,
    ),
    garbage=st.binary(max_size=40),
)
@settings(max_examples=300, deadline=None)
def test_hostile_peer_raises_only_protocol_errors(
    frames: list[tuple[int, int, bytes]], garbage: bytes
) -> None:
    link = bound(esme=SessionConfig(), smsc=SessionConfig())
    stream = b"".join(_frame(cid, body, seq) for cid, seq, body in frames) + garbage
    for session in (link.esme, link.smsc):
        session.receive_data(stream, 1.0)
        with contextlib.suppress(ProtocolError):
            drain(session)
        session.data_to_send()
        session.handle_timer(500.0)
        session.close()
