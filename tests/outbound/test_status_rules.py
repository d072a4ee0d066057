"""What a status change of an MT sets off (app/mt/statuses.py `follow_ups`), as a table."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from kodeord.app.jobs import JobKind
from kodeord.app.mt.ports import OutboundMessage
from kodeord.app.mt.statuses import FINAL, SMPP_RECEIPT_STATUSES, StatusChange, follow_ups
from kodeord.domain.messages import FINAL_STATUSES, Direction, MessageStatus

M = MessageStatus
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
API = OutboundMessage(
    id=7,
    direction=Direction.OUTBOUND,
    status=M.SENT,
    customer_id=3,
    number="2077",
    sender="2077",
    recipient="+4791234567",
    text="Hei",
    segments=1,
    price_ore=50,
    reference=None,
    callback_url=None,
    expires_at=None,
    origin="api",
    wants_receipt=True,
    received_at=NOW,
)
CALLED_BACK = replace(API, callback_url="https://eksempel.no/status")
SMPP = replace(API, origin="smpp:pizza")
SMPP_NO_DLR = replace(SMPP, wants_receipt=False)
GATEWAY = replace(API, origin="gateway", customer_id=None, callback_url="https://x.no/")
CB, DLR = JobKind.STATUS_CALLBACK, JobKind.SMPP_DELIVER


@pytest.mark.parametrize(
    ("message", "status", "kinds"),
    [
        (API, M.DELIVERED, []),
        (CALLED_BACK, M.SENT, [CB]),
        (CALLED_BACK, M.DELIVERED, [CB]),
        (CALLED_BACK, M.CANCELLED, [CB]),
        (GATEWAY, M.DELIVERED, []),  # no customer to call back
        (SMPP, M.SENT, []),  # not final: no receipt yet
        (SMPP, M.DELIVERED, [DLR]),
        (SMPP, M.FAILED, [DLR]),
        (SMPP, M.EXPIRED, [DLR]),
        (SMPP, M.REJECTED, [DLR]),
        (SMPP, M.DELETED, [DLR]),
        (SMPP, M.UNKNOWN, [DLR]),
        (SMPP, M.CANCELLED, []),  # the operator never had it
        (SMPP_NO_DLR, M.DELIVERED, []),  # registered_delivery 0
        (replace(SMPP, callback_url="https://x.no/"), M.DELIVERED, [CB, DLR]),
    ],
)
def test_follow_ups(message: OutboundMessage, status: MessageStatus, kinds: list[str]) -> None:
    jobs = follow_ups(StatusChange(message, status, None), NOW)
    assert [job.kind for job in jobs] == kinds
    for job in jobs:
        assert job.payload == {"message_id": 7, "status": status.value, "at": NOW.isoformat()}
        prefix = "status" if job.kind == CB else "smpp_dlr"
        assert job.dedupe_key == f"{prefix}:7:{status.value}"


def test_a_callback_carries_the_error() -> None:
    (job,) = follow_ups(StatusChange(CALLED_BACK, M.FAILED, "ESME_RINVDSTADR"), NOW)
    assert job.payload["error"] == "ESME_RINVDSTADR"


def test_final_statuses_of_mt() -> None:
    assert SMPP_RECEIPT_STATUSES < FINAL <= FINAL_STATUSES
    assert {M.CANCELLED} == FINAL - SMPP_RECEIPT_STATUSES  # no receipt for a cancel


def test_every_receipt_status_has_an_smpp_state() -> None:
    from kodeord.app.binds.delivering import RECEIPT_STATES

    assert set(RECEIPT_STATES) == SMPP_RECEIPT_STATUSES
