"""Retention (GDPR): which messages have their personal data erased, and what stays.

Rules:
- A message is erased once it has ended (a final status below) and was received (or
  accepted, for an MT) more than `days` days ago. `days` 0 means no limit: nothing is
  erased. A message that has not ended (queued, sent, received, routed) is kept until it
  does, whatever its age.
- Erased: the text and body, the phone number (the sender of an MO, the recipient of an
  MT), the target of a route (a forward's phone number, an e-mail address, a URL) on the
  message and its delivery attempts, attempt errors (an SMTP answer may quote the
  address) and status details. The message's erased_at says when.
- Kept, so counts and bills still add up: the short number, keyword, lease, customer,
  direction, status, times, segments, encoding, price, reference, route type, operator
  ids and parts. Opt-outs (STOPP) and consents are kept: they are what stops us sending.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

DEFAULT_DAYS = 90
MAX_DAYS = 3650


def cutoff(now: datetime, days: int) -> datetime | None:
    """Messages received before this are erased once final; None: retention is off."""
    if days <= 0:
        return None
    return now - timedelta(days=days)


def erased_phone_columns(direction: str) -> tuple[str, ...]:
    """The message columns that hold the phone number (the other side's is our number)."""
    return ("sender",) if direction == "inbound" else ("recipient",)


def erased_destination(destination: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A route as it stays after erasure: its type only."""
    if destination is None:
        return None
    return {"type": destination.get("type")}
