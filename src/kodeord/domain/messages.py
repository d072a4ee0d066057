"""The life of a stored message, as names: its direction and its status.

Rules:
- A message is `inbound` (MO, from a phone) or `outbound` (MT, to a phone).
- MO: received → routed → delivered | failed; or straight to a final status the router
  decided (opt_out, help, inbox).
- MT: queued → sent → delivered | failed | expired | rejected | deleted | unknown (the
  operator's receipt), or cancelled before it was sent.
- A final status never changes again; retention erases final messages only.
"""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    INBOUND = "inbound"  # MO
    OUTBOUND = "outbound"  # MT


class MessageStatus(StrEnum):
    RECEIVED = "received"  # MO stored, not yet routed
    ROUTED = "routed"  # MO routed, its delivery job queued
    QUEUED = "queued"  # MT stored, waiting for its send time or a link
    SENT = "sent"  # MT every part accepted by the operator
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"
    DELETED = "deleted"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    OPT_OUT = "opt_out"  # an MO that was a STOPP: the opt-out itself is kept in opt_outs
    HELP = "help"  # an MO that asked for help and got the number's help text
    INBOX = "inbox"  # an MO no keyword took: kept for the API until erased


FINAL_STATUSES = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.FAILED,
        MessageStatus.EXPIRED,
        MessageStatus.REJECTED,
        MessageStatus.DELETED,
        MessageStatus.UNKNOWN,
        MessageStatus.CANCELLED,
        MessageStatus.OPT_OUT,
        MessageStatus.HELP,
        MessageStatus.INBOX,
    }
)
