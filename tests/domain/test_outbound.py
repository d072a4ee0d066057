"""Outbound rules as tables: segments and price at every boundary, schedule, validity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kodeord.domain.outbound import (
    Plan,
    Problem,
    expiry,
    plan_text,
    schedule_problem,
    validity_problem,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("a", "GSM7", 1),
        ("a" * 160, "GSM7", 1),
        ("a" * 161, "GSM7", 2),
        ("a" * 306, "GSM7", 2),
        ("a" * 307, "GSM7", 3),
        ("æøåÆØÅ" * 26 + "abcd", "GSM7", 1),  # 160 characters, all in the basic table
        ("€" * 80, "GSM7", 1),  # 160 septets: an extension character counts two
        ("€" * 81, "GSM7", 2),
        ("a" * 159 + "€", "GSM7", 2),  # 161 septets
        ("a" * 1530, "GSM7", 10),
        ("🍕", "UCS2", 1),
        ("ł" * 70, "UCS2", 1),
        ("ł" * 71, "UCS2", 2),
        ("ł" * 134, "UCS2", 2),
        ("ł" * 135, "UCS2", 3),
        ("ł" * 670, "UCS2", 10),
    ],
)
def test_encoding_and_segments(text: str, encoding: str, segments: int) -> None:
    plan = plan_text(text, 49)
    assert plan == Plan(encoding, segments, segments * 49)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_text"),
        (" \n\t", "empty_text"),
        ("a" * 1531, "text_too_long"),
        ("ł" * 671, "text_too_long"),
        ("€" * 766, "text_too_long"),
    ],
)
def test_texts_refused(text: str, code: str) -> None:
    plan = plan_text(text, 49)
    assert isinstance(plan, Problem) and plan.code == code and plan.field == "text"


@pytest.mark.parametrize(
    ("send_at", "code"),
    [
        (None, None),
        (NOW, None),
        (NOW - timedelta(seconds=29), None),  # within the clock skew allowed
        (NOW - timedelta(seconds=31), "send_at_in_past"),
        (NOW + timedelta(days=30), None),
        (NOW + timedelta(days=30, seconds=1), "send_at_too_far"),
        (datetime(2026, 12, 1, 12, 0), "invalid_send_at"),
        (datetime(2026, 11, 26, 13, 0, tzinfo=timezone(timedelta(hours=1))), None),
    ],
)
def test_schedule(send_at: datetime | None, code: str | None) -> None:
    problem = schedule_problem(send_at, NOW)
    assert (problem.code if problem else None) == code


@pytest.mark.parametrize(
    ("minutes", "ok"), [(None, True), (0, False), (1, True), (10080, True), (10081, False)]
)
def test_validity(minutes: int | None, ok: bool) -> None:
    assert (validity_problem(minutes) is None) == ok


def test_expiry() -> None:
    assert expiry(NOW, None) == NOW + timedelta(hours=48)
    assert expiry(NOW, 5) == NOW + timedelta(minutes=5)
