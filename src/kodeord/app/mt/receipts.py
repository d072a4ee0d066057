"""The `receipt` job: an operator's delivery receipt applied to the MT it reports on.

Rules:
- The receipt (deliver_sm text and TLVs, stored by the intake before it was answered)
  is matched by the operator's id, in every form it may have been stored in, to a part
  (on the receipt's link when several match). ENROUTE / ACCEPTED are intermediate:
  nothing to record. An unreadable receipt is dead at once.
- The message becomes `delivered` when every part is, or `failed` / `expired` /
  `rejected` / `deleted` / `unknown` at the first part that ends so (`RECEIPT_STATUS`);
  a message already final stays as it is (statuses.py).
- A receipt no part matches may have overtaken its submit_sm_resp (another node is still
  storing the part): it is tried `RECEIPT_TRIES` times, then logged and dropped.
- Receipts that arrive together are applied in one write, in arrival order (one write
  at a time, see sending.py: a message's parts must see each other).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from kodeord.app.batching import Batcher
from kodeord.app.context import Context
from kodeord.app.jobs import Job, JobStore
from kodeord.app.metrics import METRICS, labelled
from kodeord.app.mt.ports import MtMessageStore, PartStore
from kodeord.app.mt.statuses import FINAL, StatusChange, change_status
from kodeord.app.worker import DONE, Dead, Outcome, RetryAt
from kodeord.domain.messages import MessageStatus
from kodeord.smpp.constants import MessageState
from kodeord.smpp.receipt import Receipt, ReceiptParseError, candidate_ids, parse_receipt

log = structlog.get_logger(__name__)
M = MessageStatus
RECEIPT_TRIES = 3
NOT_YET_RETRY = timedelta(seconds=2)
RECEIPT_STATUS = {
    MessageState.DELIVERED: M.DELIVERED,
    MessageState.EXPIRED: M.EXPIRED,
    MessageState.DELETED: M.DELETED,
    MessageState.UNDELIVERABLE: M.FAILED,
    MessageState.REJECTED: M.REJECTED,
    MessageState.UNKNOWN: M.UNKNOWN,
}


class ReceiptTx(Protocol):
    @property
    def mt_messages(self) -> MtMessageStore: ...

    @property
    def mt_parts(self) -> PartStore: ...

    @property
    def jobs(self) -> JobStore: ...


@dataclass(frozen=True, slots=True)
class _Receipt:
    refs: tuple[str, ...]  # the operator's id, in the forms it may have been stored in
    status: MessageStatus
    link: str | None
    receipt: Receipt


class Receipts:
    def __init__(self, ctx: Context[ReceiptTx]) -> None:
        self.ctx = ctx
        self._receipts: Batcher[_Receipt, bool] = Batcher(self._apply_receipts)

    async def receipt(self, job: Job) -> Outcome:
        payload = job.payload
        tlvs = {int(tag): bytes.fromhex(value) for tag, value in payload["tlvs"].items()}
        try:
            receipt = parse_receipt(bytes.fromhex(payload["short_message"]), tlvs)
        except ReceiptParseError as exc:
            return Dead(f"unreadable receipt: {exc}")
        status = RECEIPT_STATUS.get(receipt.state)
        if status is None:  # ENROUTE, ACCEPTED: intermediate, nothing to record
            return DONE
        refs = tuple(candidate_ids(receipt.message_id))
        found = await self._receipts.call(_Receipt(refs, status, payload.get("link"), receipt))
        if not found:
            if job.attempts < RECEIPT_TRIES:  # its part may not be stored yet (another node)
                return RetryAt(self.ctx.clock() + NOT_YET_RETRY, "no part matches yet")
            log.info("receipt for an unknown message", operator_id=receipt.message_id)
        labelled(METRICS.receipts_applied, status).inc()
        return DONE

    async def _apply_receipts(self, items: list[_Receipt]) -> list[bool]:
        """Receipts that arrive together, applied in one write (in arrival order)."""
        now = self.ctx.clock()

        async def write(tx: ReceiptTx) -> list[bool]:
            return [await _apply(tx, item, now) for item in items]

        return await self.ctx.storage.write(write)


async def _apply(tx: ReceiptTx, item: _Receipt, now: datetime) -> bool:
    """Whether a part matched (then it records the receipt, and the message may end)."""
    part = await tx.mt_parts.by_operator_ref(item.refs, item.link)
    if part is None:
        return False
    await tx.mt_parts.set_status(part.id, item.status, now)
    message = await tx.mt_messages.get(part.message_id)
    if message is None or message.status in FINAL:
        return True
    if item.status is M.DELIVERED:
        parts = await tx.mt_parts.parts_of(part.message_id)
        delivered = [p for p in parts if p.status == M.DELIVERED or p.id == part.id]
        if len(delivered) < message.segments:
            return True
    detail = None if item.status is M.DELIVERED else f"receipt: {item.receipt.state.name}"
    await change_status(tx, StatusChange(message, item.status, detail), now)
    return True
