"""The session's stall deadlines: a bind within `bind_timeout` of the start, each PDU
complete within `pdu_timeout` of its first octet. Fake clock; nothing sleeps."""

from __future__ import annotations

import pytest

from kodeord.smpp.codec import encode
from kodeord.smpp.events import NEED_DATA, InactivityTimeout, RequestReceived
from kodeord.smpp.pdu import BindTransceiver, EnquireLink, SubmitSm
from kodeord.smpp.session import Session, SessionConfig
from kodeord.smpp.states import Role

CONFIG = SessionConfig(
    bind_timeout=10.0, pdu_timeout=5.0, inactivity_timeout=60.0, enquire_link_interval=None
)
BIND = encode(BindTransceiver(1, system_id="shop", password="secret"))
SUBMIT = encode(SubmitSm(2, source_addr="2077", destination_addr="4741234567", short_message=b"x"))


def drain(session: Session) -> list[object]:
    events = []
    while (event := session.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def feed(session: Session, data: bytes, now: float) -> list[object]:
    session.receive_data(data, now)
    return drain(session)


def bound_smsc() -> Session:
    session = Session(Role.SMSC, 0.0, CONFIG)
    (event,) = feed(session, BIND, 1.0)
    assert isinstance(event, RequestReceived)
    session.respond(event.pdu)
    return session


def test_no_bind_in_time_is_reported_once() -> None:
    session = Session(Role.SMSC, 0.0, CONFIG)
    assert feed(session, encode(EnquireLink(1)), 3.0) == []  # upkeep is not a bind
    assert session.get_timer() == 10.0
    assert session.handle_timer(9.9) == []
    assert session.handle_timer(10.0) == [InactivityTimeout("no bind within 10 s", 3.0)]
    assert session.handle_timer(11.0) == []


def test_a_bind_received_in_time_stops_the_bind_clock() -> None:
    session = Session(Role.SMSC, 0.0, CONFIG)
    feed(session, BIND, 9.0)
    assert session.handle_timer(10.0) == []  # binding: the application is checking it


def test_a_trickled_pdu_is_cut_off_whatever_the_inactivity_timer_says() -> None:
    session = bound_smsc()
    for i, octet in enumerate(SUBMIT[:20]):  # one octet a second: never silent for 60 s
        now = 2.0 + i
        assert feed(session, bytes([octet]), now) == []
        events = session.handle_timer(now)
        if now < 7.0:
            assert events == [], now
        else:
            assert events == [InactivityTimeout("a PDU was not completed within 5 s", now)]
            break
    else:
        pytest.fail("the trickle was never cut off")


@pytest.mark.parametrize("split", [1, 4, 15, 16, len(SUBMIT) - 1])
def test_a_pdu_completed_in_time_is_fine_and_the_next_gets_its_own_clock(split: int) -> None:
    session = bound_smsc()
    assert feed(session, SUBMIT[:split], 10.0) == []
    assert session.get_timer() == 15.0
    (event,) = feed(session, SUBMIT[split:] + SUBMIT[:3], 14.9)  # the next one begins
    assert isinstance(event, RequestReceived)
    assert session.get_timer() == pytest.approx(19.9)
    assert session.handle_timer(19.0) == []


def test_whole_pdus_leave_no_pdu_clock() -> None:
    session = bound_smsc()
    feed(session, SUBMIT, 10.0)
    assert session.get_timer() == 70.0  # only the inactivity timer
