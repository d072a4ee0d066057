"""The MT status machine, and what a status change sets off.

Rules:
- A message moves on only from `queued` or `sent` (domain/messages.py): a final status
  never changes, so a late receipt or a second worker cannot undo one.
- Every change is recorded in the message's history (`message_events`) in the same unit
  of work, and the jobs that tell the customer are enqueued with it (`follow_ups`):
  a `status_callback` when the message has a callback URL, and an `smpp_deliver` receipt
  when it came over a customer's SMPP bind asking for one and reached a final status the
  operator reports (`SMPP_RECEIPT_STATUSES`; a cancelled message gets none). The binds
  capability only handles that job.
- Each job's dedupe key names the message and status: the same change enqueues once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kodeord.app.jobs import JobKind, JobStore, NewJob
from kodeord.app.mt.ports import MtMessageStore, OutboundMessage, StatusEvent
from kodeord.domain.messages import MessageStatus

M = MessageStatus
MOVABLE = (M.QUEUED, M.SENT)
SMPP_RECEIPT_STATUSES = frozenset(
    {M.DELIVERED, M.FAILED, M.EXPIRED, M.REJECTED, M.DELETED, M.UNKNOWN}
)
"""The final statuses a customer's SMPP bind gets a delivery receipt for."""
FINAL = SMPP_RECEIPT_STATUSES | {M.CANCELLED}
"""The statuses an MT ends in."""
ERROR_LENGTH = 200  # messages.error


class StatusTx(Protocol):
    @property
    def mt_messages(self) -> MtMessageStore: ...

    @property
    def jobs(self) -> JobStore: ...


@dataclass(frozen=True, slots=True)
class StatusChange:
    message: OutboundMessage
    status: MessageStatus
    detail: str | None = None


def follow_ups(change: StatusChange, now: datetime) -> list[NewJob]:
    """The jobs that tell the customer about a change that happened `now`."""
    message, status = change.message, change.status
    jobs = []
    if message.callback_url and message.customer_id is not None:
        payload = {"message_id": message.id, "status": status.value, "at": now.isoformat()}
        if change.detail:
            payload["error"] = change.detail
        key = f"status:{message.id}:{status}"
        jobs.append(NewJob(JobKind.STATUS_CALLBACK, payload, dedupe_key=key))
    if (
        status in SMPP_RECEIPT_STATUSES
        and message.smpp_system_id is not None
        and message.wants_receipt
    ):
        payload = {"message_id": message.id, "status": status.value, "at": now.isoformat()}
        key = f"smpp_dlr:{message.id}:{status}"
        jobs.append(NewJob(JobKind.SMPP_DELIVER, payload, dedupe_key=key))
    return jobs


async def change_statuses(tx: StatusTx, changes: Sequence[StatusChange], now: datetime) -> set[int]:
    """Move messages on, record it and enqueue the follow-ups, one statement per distinct
    (status, detail); the ids that moved (one already past queued/sent stays)."""
    groups: dict[tuple[MessageStatus, str | None], list[int]] = {}
    for change in changes:
        groups.setdefault((change.status, change.detail), []).append(change.message.id)
    moved: set[int] = set()
    for (status, detail), ids in groups.items():
        moved |= await tx.mt_messages.set_statuses(
            ids,
            status,
            MOVABLE,
            error=detail[:ERROR_LENGTH] if detail else None,
            delivered_at=now if status is M.DELIVERED else None,
        )
    changed = [change for change in changes if change.message.id in moved]
    events = [StatusEvent(c.message.id, c.status, c.detail) for c in changed]
    await tx.mt_messages.add_events(events, now)
    jobs = [job for change in changed for job in follow_ups(change, now)]
    if jobs:
        await tx.jobs.enqueue_many(jobs)
    return moved


async def change_status(tx: StatusTx, change: StatusChange, now: datetime) -> bool:
    """`change_statuses` for one message; whether it moved."""
    return bool(await change_statuses(tx, [change], now))
