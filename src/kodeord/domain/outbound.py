"""Rules for an outgoing SMS (MT), pure: text, schedule, validity, price.

An MT is refused before it is stored when its text is empty or needs more than
`MAX_SEGMENTS` parts, when `send_at` lies in the past (more than `CLOCK_SKEW` ago) or more
than `MAX_SCHEDULE` ahead, or when its validity is outside 1 minute … 7 days. Each
refusal is a `Problem` with a stable code. The price is the number's price per segment
times the segments the operator will get (GSM 03.38 160/153 characters, extension
characters counting two; else UCS-2 70/67).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kodeord.smpp.text import SegmentInfo, segment_info

MAX_SEGMENTS = 10  # 1,530 GSM characters or 670 UCS-2: past that, send a link instead
MAX_BATCH = 1000
MAX_SCHEDULE = timedelta(days=30)
CLOCK_SKEW = timedelta(seconds=30)  # a send_at this close to now counts as "now"
MIN_VALIDITY_MINUTES = 1
MAX_VALIDITY_MINUTES = 7 * 24 * 60
DEFAULT_VALIDITY_MINUTES = 48 * 60  # what operators typically keep an SMS for


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    field: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What the operator will get, and what it costs."""

    encoding: str  # "GSM7" or "UCS2"
    segments: int
    price_ore: int


def plan_text(
    text: str, segment_price_ore: int, max_segments: int = MAX_SEGMENTS
) -> Plan | Problem:
    """The encoding, segments and price of `text`, or why it cannot be sent."""
    if not text.strip():
        return Problem("empty_text", "the text is empty", "text")
    if "\x00" in text:
        return Problem("invalid_text", "the text contains a NUL character", "text")
    info: SegmentInfo = segment_info(text)
    if info.segments > max_segments:
        return Problem(
            "text_too_long",
            f"the text needs {info.segments} segments; at most {MAX_SEGMENTS} are sent",
            "text",
        )
    return Plan(info.encoding.name, info.segments, info.segments * segment_price_ore)


def schedule_problem(send_at: datetime | None, now: datetime) -> Problem | None:
    if send_at is None:
        return None
    if send_at.utcoffset() is None:
        return Problem("invalid_send_at", "send_at needs a time zone (e.g. Z)", "send_at")
    if send_at < now - CLOCK_SKEW:
        return Problem("send_at_in_past", "send_at lies in the past", "send_at")
    if send_at > now + MAX_SCHEDULE:
        return Problem("send_at_too_far", "send_at is more than 30 days ahead", "send_at")
    return None


def validity_problem(minutes: int | None) -> Problem | None:
    if minutes is None or MIN_VALIDITY_MINUTES <= minutes <= MAX_VALIDITY_MINUTES:
        return None
    return Problem(
        "invalid_validity",
        f"validity_minutes must be {MIN_VALIDITY_MINUTES} to {MAX_VALIDITY_MINUTES}",
        "validity_minutes",
    )


def expiry(start: datetime, validity_minutes: int | None) -> datetime:
    """When an MT still queued at the gateway gives up (and what the operator is told)."""
    return start + timedelta(minutes=validity_minutes or DEFAULT_VALIDITY_MINUTES)
