"""What can go wrong with a request over an SmppConnection, from the caller's side.

- ConnectionClosed: the connection ended (EOF, error, unbind, close). `unanswered` holds
  the caller's request(s) that got no response; `written` says whether they reached the
  wire. Not written: safe to send again anywhere. Written: the peer may have acted on
  it (the usual SMPP at-least-once ambiguity), re-queue knowing that.
- RequestFailed: the request went out but no usable answer came back: RequestTimeout
  (the session's response_timeout passed) or InvalidResponseError (the answer could not
  be decoded). Both carry the request as numbered on the wire.
A response with an error command_status is not an exception: request() returns it.
Both are the app's link errors (app/links/ports.py: LinkClosed, LinkRequestFailed), so
the app catches them without knowing this adapter.
"""

from __future__ import annotations

from kodeord.app.links.ports import LinkClosed, LinkRequestFailed
from kodeord.smpp.pdu import InvalidPdu, Pdu


class ConnectionClosed(LinkClosed):
    """The connection ended; `.unanswered` holds our requests that got no response (to
    re-queue). `.written` is False when they never reached the wire (safe to resend)."""


class RequestFailed(LinkRequestFailed):
    """Our request got no usable answer; `.request` is it, as numbered on the wire."""


class RequestTimeout(RequestFailed):
    """The session's response_timeout passed without an answer (the peer may still act)."""


class InvalidResponseError(RequestFailed):
    """The answer arrived but could not be decoded; `.pdu` is what came."""

    def __init__(self, message: str, request: Pdu, pdu: InvalidPdu) -> None:
        super().__init__(message, request)
        self.pdu = pdu
