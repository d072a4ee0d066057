"""Exceptions of the SMPP core, split by whose fault it is (after h11).

- LocalProtocolError: we asked for something SMPP or the session state forbids
  (encoding an over-long field, sending submit_sm while unbound, answering a request
  twice). Nothing was sent; fix the caller.
- RemoteProtocolError: the peer broke the framing so badly that the byte stream cannot
  be read any further (section 3.1: command_length is the only way to find the next
  PDU). The connection must be closed, optionally after a generic_nack with `status`.

A well-framed PDU with an unknown command or a bad body is *not* an exception: the codec
returns it as an `InvalidPdu` value so the session can answer it.
"""

from __future__ import annotations

from kodeord.smpp.constants import CommandStatus


class ProtocolError(Exception):
    """Base of every error the SMPP core raises on purpose."""

    def __init__(self, message: str, status: CommandStatus = CommandStatus.ESME_RSYSERR) -> None:
        super().__init__(message)
        self.status = status
        """The command_status a peer should get for this, when it gets an answer at all."""


class LocalProtocolError(ProtocolError):
    """We tried something the protocol or the current session state forbids."""


class WindowFullError(LocalProtocolError):
    """send_request() while the window of outstanding requests is full; see can_send()."""


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes that cannot be framed; the stream is unusable from here on."""
