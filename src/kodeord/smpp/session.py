"""The sans-IO SMPP 3.4 session: one class for both ends of a bind (ESME and SMSC).

A `Session` owns no socket, task or clock. The adapter feeds it bytes and the current
time, drains events, and writes the bytes it is given. Rules:

- What each bind state allows is the table in states.py (section 2.3/2.4). Sending a
  forbidden PDU raises LocalProtocolError; a forbidden request from the peer is answered
  by the session (ESME_RINVBNDSTS / ESME_RALYBND) and reported as `PduRejected`.
- Only protocol upkeep is answered automatically: enquire_link, and error answers to
  PDUs that are undecodable, illegal in the state or reuse an unanswered sequence
  number. Everything else (bind, submit_sm, deliver_sm, data_sm, unbind, ...) becomes
  `RequestReceived` and is answered only by `respond()`, so the application can check
  credentials or store a message first.
  Each received request can be answered exactly once; anything else raises.
- Requests we send get sequence numbers 1..0x7FFFFFFF, wrapping (section 5.1.2.3), and a
  response deadline. At most `window` of them (enquire_link and unbind excepted) may be
  outstanding; see `can_send()`. Unanswered ones come back as `RequestTimedOut` events
  or from `close()`, for the caller to re-queue.
- Answers to our own requests are matched by sequence number and command, in any state:
  an answer to something we asked is never refused. One that matches nothing is
  `UnexpectedResponse`.
- Time is always an argument and must not go backwards (use time.monotonic()).
  `get_timer()` is the next deadline; `handle_timer(now)` fires what is due: response
  timeouts, enquire_link after `enquire_link_interval` seconds without hearing from the
  peer, and `InactivityTimeout` after `inactivity_timeout` seconds of silence, after
  `bind_timeout` seconds without a bind since the session began (an SMSC sets it: a
  connection that never binds is not kept), or when a PDU whose first octets came is
  not complete `pdu_timeout` seconds later (a peer trickling a PDU octet by octet
  would otherwise never be silent long enough for the inactivity timer).
- Bytes the session produces by itself (enquire_link, its answers) wait in
  `data_to_send()`; bytes from `send_request()` / `respond()` are returned directly.

Usage (an ESME; an SMSC is the same with Role.SMSC and respond() to the bind)::

    session = Session(Role.ESME, now=time.monotonic())
    bind, data = session.send_request(BindTransceiver(system_id="kodeord", password="pw"),
                                      now=time.monotonic())
    sock.sendall(data)
    while data := sock.recv(65536):
        session.receive_data(data, now=time.monotonic())
        while (event := session.next_event()) is not NEED_DATA:
            match event:
                case RequestReceived(pdu=DeliverSm() as pdu):
                    store(pdu)
                    sock.sendall(session.respond(pdu, CommandStatus.ESME_ROK))
                case ResponseReceived(request=SubmitSm() as req, response=resp):
                    mark_sent(req.sequence_number, resp.command_status, resp)
                case RequestTimedOut(request=req):
                    requeue(req)
                case InactivityTimeout():
                    requeue_all(session.close())
                    sock.close()
        sock.sendall(session.data_to_send())
    requeue_all(session.close())  # the peer hung up
    # elsewhere: when the loop wakes at session.get_timer(), call handle_timer(now),
    # handle its events the same way and send data_to_send().
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kodeord.smpp.codec import DEFAULT_MAX_COMMAND_LENGTH, PduReader, encode
from kodeord.smpp.constants import CommandId, CommandStatus
from kodeord.smpp.errors import LocalProtocolError, WindowFullError
from kodeord.smpp.events import (
    NEED_DATA,
    Event,
    InactivityTimeout,
    InvalidResponse,
    NeedData,
    PduRejected,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    UnexpectedResponse,
)
from kodeord.smpp.pdu import (
    NO_RESPONSE,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    InvalidPdu,
    Pdu,
    make_response,
    response_class,
    with_sequence_number,
)
from kodeord.smpp.states import (
    BINDS,
    BOUND_STATE_OF_BIND,
    BindState,
    Role,
    is_allowed,
    rejection_status,
)

C = CommandId
MAX_SEQUENCE_NUMBER = 0x7FFFFFFF
_OUTSIDE_WINDOW = frozenset({C.ENQUIRE_LINK, C.UNBIND})


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Knobs of one session. None switches a timer off."""

    window: int = 10
    """Most requests we may have outstanding (enquire_link and unbind not counted)."""
    response_timeout: float = 30.0
    """Seconds to wait for the answer to each request we send."""
    enquire_link_interval: float | None = 30.0
    """Send enquire_link after this long without receiving anything, while bound."""
    inactivity_timeout: float | None = 120.0
    """Report InactivityTimeout after this long without receiving anything."""
    max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH
    """Larger command_length from the peer is broken framing (RemoteProtocolError)."""
    bind_timeout: float | None = None
    """Report InactivityTimeout when no bind was sent or received this long after start."""
    pdu_timeout: float | None = None
    """Report InactivityTimeout when a PDU begun by the peer is not complete this long."""

    def __post_init__(self) -> None:
        timers = (
            self.response_timeout,
            self.enquire_link_interval,
            self.inactivity_timeout,
            self.bind_timeout,
            self.pdu_timeout,
        )
        if self.window < 1 or any(t is not None and t <= 0 for t in timers):
            raise ValueError(f"window must be >= 1 and timers > 0: {self}")


@dataclass(frozen=True, slots=True)
class _Outstanding:
    request: Pdu
    deadline: float
    in_window: bool
    keepalive: bool  # our own timer's enquire_link: never handed to the application


class Session:
    """One SMPP bind, either end. See the module docstring for the rules and a loop."""

    def __init__(self, role: Role, now: float, config: SessionConfig | None = None) -> None:
        self._role = role
        self._config = config or SessionConfig()
        self._state = BindState.OPEN
        self._reader = PduReader(self._config.max_command_length)
        self._next_sequence = 1
        self._outstanding: dict[int, _Outstanding] = {}  # ordered by deadline
        self._in_window = 0
        self._keepalive_pending = False
        self._unanswered: dict[int, Pdu] = {}  # requests received, not yet responded
        self._outbox: list[bytes] = []
        self._last_received = now
        self._silence_reported = False
        self._started = now
        self._partial_since: float | None = None  # when the unfinished next PDU began
        self._stall_reported = False

    # --- state -----------------------------------------------------------------------

    @property
    def role(self) -> Role:
        return self._role

    @property
    def state(self) -> BindState:
        return self._state

    @property
    def config(self) -> SessionConfig:
        return self._config

    @property
    def in_flight(self) -> int:
        """Our requests awaiting an answer that count against the window."""
        return self._in_window

    def can_send(self) -> bool:
        """True when send_request() of a windowed request would not raise WindowFullError."""
        return self._in_window < self._config.window

    # --- receiving -------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes read from the connection; `now` marks the peer as heard from."""
        if data:
            self._reader.feed(data)
            self._last_received = now
            self._silence_reported = False

    def next_event(self) -> Event | NeedData:
        """The next event from received bytes, or NEED_DATA. Raises RemoteProtocolError
        when the framing is broken (the connection must then be closed)."""
        while True:
            pdu = self._reader.read()
            if pdu is None:
                self._note_partial()
                return NEED_DATA
            self._partial_since = None
            event = self._on_pdu(pdu)
            if event is not None:
                return event

    def _note_partial(self) -> None:
        """Start the PDU clock when the next PDU is begun but not whole. The clock starts
        at the last feed: the adapter drains events after each one, so no earlier."""
        if not self._reader.incomplete:
            self._partial_since = None
        elif self._partial_since is None:
            self._partial_since = self._last_received

    def _on_pdu(self, pdu: Pdu | InvalidPdu) -> Event | None:
        if pdu.is_response:
            return self._on_response(pdu)
        if isinstance(pdu, InvalidPdu):
            return self._reject(pdu, pdu.reply_status)
        return self._on_request(pdu)

    def _on_request(self, pdu: Pdu) -> Event | None:
        command_id = pdu.command_id
        if not is_allowed(self._state, self._role.peer, command_id):
            return self._reject(pdu, rejection_status(self._state, command_id))
        if command_id == C.ENQUIRE_LINK:
            self._outbox.append(encode(EnquireLinkResp(sequence_number=pdu.sequence_number)))
            return None
        if command_id not in NO_RESPONSE:
            if pdu.sequence_number in self._unanswered:
                # The peer reused a sequence number we have not answered yet (5.1.2.3);
                # a transient error makes it retry once the first one is answered.
                return self._reject(pdu, CommandStatus.ESME_RSYSERR)
            self._unanswered[pdu.sequence_number] = pdu
        self._enter_for_request(command_id)
        return RequestReceived(pdu)

    def _reject(self, pdu: Pdu | InvalidPdu, status: CommandStatus) -> PduRejected:
        """Answer a peer request with an error: its own response type when it has one
        (the header was fine), else generic_nack (section 4.3)."""
        cls = response_class(pdu.command_id) or GenericNack
        reply = cls(sequence_number=pdu.sequence_number, command_status=status)
        self._outbox.append(encode(reply))
        return PduRejected(pdu, status)

    def _on_response(self, pdu: Pdu | InvalidPdu) -> Event | None:
        entry = self._outstanding.get(pdu.sequence_number)
        if entry is None or not _answers(entry.request, pdu.command_id):
            return UnexpectedResponse(pdu)
        self._forget(pdu.sequence_number, entry)
        if isinstance(pdu, InvalidPdu):
            self._enter_for_answer(entry.request, None)
            return None if entry.keepalive else InvalidResponse(entry.request, pdu)
        self._enter_for_answer(entry.request, pdu)
        return None if entry.keepalive else ResponseReceived(entry.request, pdu)

    # --- sending ---------------------------------------------------------------------

    def send_request(self, pdu: Pdu, now: float) -> tuple[Pdu, bytes]:
        """Number `pdu` and encode it. Returns the numbered request (as it will appear in
        ResponseReceived / RequestTimedOut / close()) and the bytes to write."""
        command_id = pdu.command_id
        if pdu.is_response:
            raise LocalProtocolError(f"{type(pdu).__name__} is a response: use respond()")
        self._check_may_send(command_id)
        in_window = command_id not in _OUTSIDE_WINDOW and command_id not in NO_RESPONSE
        if in_window and not self.can_send():
            raise WindowFullError(f"window of {self._config.window} outstanding requests is full")
        request = with_sequence_number(pdu, self._free_sequence_number())
        data = encode(request)
        self._track(request, now, in_window=in_window, keepalive=False)
        self._enter_for_request(command_id)
        return request, data

    def respond(self, request: Pdu, status: int = CommandStatus.ESME_ROK, **fields: Any) -> bytes:
        """Answer a request from a RequestReceived event with `status` and body `fields`
        (message_id=..., system_id=..., tlvs=...). Raises LocalProtocolError if it is not
        awaiting an answer (answered already, never received) or the state forbids it."""
        pending = self._unanswered.get(request.sequence_number)
        if pending is None or pending.command_id != request.command_id:
            raise LocalProtocolError(
                f"no unanswered {type(request).__name__} with sequence_number "
                f"{request.sequence_number}"
            )
        response = make_response(pending, status, **fields)
        self._check_may_send(response.command_id)
        data = encode(response)
        del self._unanswered[pending.sequence_number]
        self._enter_for_answer(pending, response)
        return data

    def data_to_send(self) -> bytes:
        """Bytes the session produced on its own since the last call (may be empty)."""
        data = b"".join(self._outbox)
        self._outbox.clear()
        return data

    def close(self) -> list[Pdu]:
        """End the session (connection lost or closed) and hand back every request we
        sent that got no answer, oldest first, so the caller can re-queue it."""
        unanswered = [e.request for e in self._outstanding.values() if not e.keepalive]
        self._outstanding.clear()
        self._in_window = 0
        self._keepalive_pending = False
        self._unanswered.clear()
        self._state = BindState.CLOSED
        return unanswered

    def _check_may_send(self, command_id: int) -> None:
        if not is_allowed(self._state, self._role, command_id):
            name = C(command_id).name.lower()
            raise LocalProtocolError(
                f"{self._role.name} may not send {name} in {self._state.name} (SMPP 3.4 2.4)",
                rejection_status(self._state, command_id),
            )

    def _free_sequence_number(self) -> int:
        sequence = self._next_sequence
        while sequence in self._outstanding:  # only after a full wrap with a stuck request
            sequence = sequence % MAX_SEQUENCE_NUMBER + 1
        self._next_sequence = sequence % MAX_SEQUENCE_NUMBER + 1
        return sequence

    def _track(self, request: Pdu, now: float, *, in_window: bool, keepalive: bool) -> None:
        if request.command_id in NO_RESPONSE:
            return
        deadline = now + self._config.response_timeout
        self._outstanding[request.sequence_number] = _Outstanding(
            request, deadline, in_window, keepalive
        )
        self._in_window += in_window
        self._keepalive_pending |= keepalive

    def _forget(self, sequence: int, entry: _Outstanding) -> None:
        del self._outstanding[sequence]
        self._in_window -= entry.in_window
        if entry.keepalive:
            self._keepalive_pending = False

    # --- state transitions (section 2.3) ---------------------------------------------

    def _enter_for_request(self, command_id: int) -> None:
        """A bind or unbind was sent or received: it is now in flight."""
        if command_id in BINDS:
            self._state = BindState.BINDING
        elif command_id == C.UNBIND:
            self._state = BindState.UNBINDING

    def _enter_for_answer(self, request: Pdu, response: Pdu | None) -> None:
        """A bind or unbind got its answer (None: undecodable or timed out)."""
        command_id = request.command_id
        if command_id == C.UNBIND:
            # Crossing unbinds (both sides sent one): close once both are answered.
            self._state = BindState.UNBINDING if self._unbind_pending() else BindState.CLOSED
        elif command_id in BINDS and self._state is BindState.BINDING:
            accepted = (
                response is not None
                and response.command_id == command_id | 0x80000000
                and response.command_status == CommandStatus.ESME_ROK
            )
            self._state = BOUND_STATE_OF_BIND[command_id] if accepted else BindState.OPEN

    def _unbind_pending(self) -> bool:
        """Is an unbind, ours or the peer's, still waiting for its unbind_resp?"""
        return any(e.request.command_id == C.UNBIND for e in self._outstanding.values()) or any(
            p.command_id == C.UNBIND for p in self._unanswered.values()
        )

    # --- timers ----------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """When handle_timer() next has something to do, or None."""
        candidates = (
            self._keepalive_due(),
            self._silence_deadline(),
            self._bind_deadline(),
            self._pdu_deadline(),
        )
        deadlines = [d for d in candidates if d is not None]
        if self._outstanding:
            deadlines.append(next(iter(self._outstanding.values())).deadline)
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> list[Event]:
        """Fire everything due at `now`: RequestTimedOut / InactivityTimeout events, and
        an enquire_link (into data_to_send()) when the link has been quiet."""
        events = self._expire_requests(now)
        silence = self._silence_deadline()
        if silence is not None and now >= silence:
            self._silence_reported = True
            reason = f"nothing received for {self._config.inactivity_timeout:g} s"
            events.append(InactivityTimeout(reason, self._last_received))
        stall = self._stall_reason(now)
        if stall is not None:
            self._stall_reported = True
            events.append(InactivityTimeout(stall, self._last_received))
        keepalive = self._keepalive_due()
        if keepalive is not None and now >= keepalive:
            self._send_keepalive(now)
        return events

    def _expire_requests(self, now: float) -> list[Event]:
        events: list[Event] = []
        while self._outstanding:
            sequence, entry = next(iter(self._outstanding.items()))
            if entry.deadline > now:
                break
            self._forget(sequence, entry)
            self._enter_for_answer(entry.request, None)
            if entry.keepalive and not self._silence_reported:
                self._silence_reported = True
                events.append(InactivityTimeout("enquire_link unanswered", self._last_received))
            elif not entry.keepalive:
                events.append(RequestTimedOut(entry.request))
        return events

    def _keepalive_due(self) -> float | None:
        interval = self._config.enquire_link_interval
        if interval is None or self._keepalive_pending or not self._state.is_bound:
            return None
        return self._last_received + interval

    def _silence_deadline(self) -> float | None:
        timeout = self._config.inactivity_timeout
        if timeout is None or self._silence_reported or self._state is BindState.CLOSED:
            return None
        return self._last_received + timeout

    def _bind_deadline(self) -> float | None:
        timeout = self._config.bind_timeout
        if timeout is None or self._stall_reported or self._state is not BindState.OPEN:
            return None
        return self._started + timeout

    def _pdu_deadline(self) -> float | None:
        timeout = self._config.pdu_timeout
        if timeout is None or self._stall_reported or self._partial_since is None:
            return None
        if self._state is BindState.CLOSED:
            return None
        return self._partial_since + timeout

    def _stall_reason(self, now: float) -> str | None:
        """Why the peer is stalling (no bind in time, a PDU left unfinished), or None."""
        bind = self._bind_deadline()
        if bind is not None and now >= bind:
            return f"no bind within {self._config.bind_timeout:g} s"
        pdu = self._pdu_deadline()
        if pdu is not None and now >= pdu:
            return f"a PDU was not completed within {self._config.pdu_timeout:g} s"
        return None

    def _send_keepalive(self, now: float) -> None:
        request = EnquireLink(sequence_number=self._free_sequence_number())
        self._outbox.append(encode(request))
        self._track(request, now, in_window=False, keepalive=True)


def _answers(request: Pdu, response_id: int) -> bool:
    """Is a PDU with `response_id` an answer to `request`? (its _resp, or generic_nack)"""
    return response_id == request.command_id | 0x80000000 or response_id == C.GENERIC_NACK
