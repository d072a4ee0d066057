"""A customer's submit_sm times as MT's send_at and validity (app/binds/submits.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kodeord.app.binds.submits import REFUSALS, schedule
from kodeord.smpp.constants import CommandStatus
from kodeord.smpp.pdu import SubmitSm

S = CommandStatus
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("scheduled", "validity", "expected"),
    [
        ("", "", (None, None, None)),
        ("", "000000010000000R", (None, 60, None)),
        ("", "000000000030000R", (None, 1, None)),  # 30 s: rounded up to a minute
        ("", "261126110000000+", (None, 0, None)),  # in the past: accept refuses it
        ("000000010000000R", "", (NOW + timedelta(hours=1), None, None)),
        # validity runs from the send time
        ("000000010000000R", "261126140000000+", (NOW + timedelta(hours=1), 60, None)),
        ("soon", "", (None, None, S.ESME_RINVSCHED)),
        ("", "later", (None, None, S.ESME_RINVEXPIRY)),
    ],
)
def test_schedule(
    scheduled: str, validity: str, expected: tuple[datetime | None, int | None, int | None]
) -> None:
    pdu = SubmitSm(schedule_delivery_time=scheduled, validity_period=validity)
    assert schedule(pdu, NOW) == expected


def test_accept_refusals_of_times_are_smpp_time_statuses() -> None:
    for code in ("send_at_in_past", "send_at_too_far", "invalid_send_at"):
        assert REFUSALS[code] == S.ESME_RINVSCHED
    assert REFUSALS["invalid_validity"] == S.ESME_RINVEXPIRY
