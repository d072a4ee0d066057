"""What a Session reports to its application: frozen dataclasses, one per kind of news.

- RequestReceived: the peer asked something; answer with `Session.respond()` once the
  work is done (store before acknowledging). outbind and alert_notification need no answer.
- ResponseReceived: the answer (or generic_nack) to one of our requests.
- RequestTimedOut: no answer within the response timeout; the request is handed back so
  it can be re-queued. It no longer counts against the window.
- InvalidResponse: the answer to one of our requests arrived but could not be decoded;
  the request is handed back as with a timeout.
- UnexpectedResponse: a response that matches nothing we have outstanding.
- PduRejected: the session answered a peer request by itself with an error: generic_nack
  (ESME_RINVCMDID) for an unknown command; the command's own response with the codec's
  status for a bad body; ESME_RINVBNDSTS / ESME_RALYBND for the wrong bind state;
  ESME_RSYSERR for a sequence number that is still unanswered. Informational; the answer
  is already in `Session.data_to_send()`.
- InactivityTimeout: nothing heard from the peer for too long, or our enquire_link went
  unanswered. The adapter should close the connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import InvalidPdu, Pdu


class _Sentinel(Enum):
    NEED_DATA = "NEED_DATA"


NEED_DATA: Literal[_Sentinel.NEED_DATA] = _Sentinel.NEED_DATA
"""Returned by Session.next_event() when every received byte has been consumed."""

NeedData = Literal[_Sentinel.NEED_DATA]


@dataclass(frozen=True, slots=True)
class RequestReceived:
    pdu: Pdu


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    request: Pdu
    response: Pdu


@dataclass(frozen=True, slots=True)
class RequestTimedOut:
    request: Pdu


@dataclass(frozen=True, slots=True)
class InvalidResponse:
    request: Pdu
    pdu: InvalidPdu


@dataclass(frozen=True, slots=True)
class UnexpectedResponse:
    pdu: Pdu | InvalidPdu


@dataclass(frozen=True, slots=True)
class PduRejected:
    pdu: Pdu | InvalidPdu
    status: CommandStatus


@dataclass(frozen=True, slots=True)
class InactivityTimeout:
    reason: str
    last_received: float


Event = (
    RequestReceived
    | ResponseReceived
    | RequestTimedOut
    | InvalidResponse
    | UnexpectedResponse
    | PduRejected
    | InactivityTimeout
)
