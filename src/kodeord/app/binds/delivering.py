"""Deliver to customers' binds: receipts of their SMPP-submitted MT, and MO on `smpp` routes.

Rules:
- A receipt (`smpp_deliver` job, enqueued by MT's status machine, app/mt/statuses.py)
  goes back as deliver_sm with esm_class 0x04, the Appendix B text and the
  receipted_message_id / message_state TLVs, to a bind of the customer that can
  receive, the one of the system_id the message came over first.
- MO whose route is `smpp` go to the customer's binds in turn as deliver_sm (one per
  part); the MO capability asks `deliver_mo` (its `CustomerBinds` port) for one attempt.
- While none of the customer's binds can receive, the job waits (`wait_for_bind`), the
  pause growing to `MAX_BIND_WAIT`: receipts and MO are kept until the customer binds.
- A deliver_sm without a usable answer or refused is retried with the policy's backoff.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Protocol

from kodeord.app.binds.connections import BoundConnections
from kodeord.app.context import Context
from kodeord.app.delivery import DeliveryOutcome, Stopwatch
from kodeord.app.jobs import Job
from kodeord.app.links.ports import LinkFailed
from kodeord.app.mo.ports import StoredMo
from kodeord.app.mt.outbound import smpp_status_name
from kodeord.app.mt.ports import MtMessageStore
from kodeord.app.worker import DONE, Dead, Outcome, RetryAt, retry_or_dead
from kodeord.domain.messages import MessageStatus
from kodeord.domain.retry import RetryPolicy
from kodeord.smpp.constants import CommandStatus, MessageState
from kodeord.smpp.pdu import DeliverSm
from kodeord.smpp.receipt import Receipt, build_receipt_text, build_receipt_tlvs
from kodeord.smpp.submit import mo_delivers, phone_address
from kodeord.smpp.tlv import tlvs_from_raw

S = CommandStatus
M = MessageStatus
DELIVER_TIMEOUT = 20.0  # a deliver_sm to a customer's bind: its deliver_sm_resp
MAX_BIND_WAIT = timedelta(seconds=30)  # the longest pause between looks for a bind
RECEIPT_ESM_CLASS = 0x04  # SMSC delivery receipt (5.2.12)
RECEIPT_STATES: dict[MessageStatus, MessageState] = {
    M.DELIVERED: MessageState.DELIVERED,
    M.FAILED: MessageState.UNDELIVERABLE,
    M.EXPIRED: MessageState.EXPIRED,
    M.REJECTED: MessageState.REJECTED,
    M.DELETED: MessageState.DELETED,
    M.UNKNOWN: MessageState.UNKNOWN,
}
"""The final statuses a receipt is sent for (mt's SMPP_RECEIPT_STATUSES), as states."""


class DeliverTx(Protocol):
    @property
    def mt_messages(self) -> MtMessageStore: ...


class BindDeliveries:
    def __init__(
        self,
        ctx: Context[DeliverTx],
        binds: BoundConnections,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.ctx = ctx
        self.binds = binds
        self.policy = policy or RetryPolicy()
        self._turn = count()

    def wait_for_bind(self, job: Job) -> RetryAt:
        """The job waits for the customer to bind; the pause grows to MAX_BIND_WAIT."""
        pause = min(timedelta(seconds=2 ** min(job.attempts, 5)), MAX_BIND_WAIT)
        return RetryAt(self.ctx.clock() + pause, "no SMPP bind of the customer can receive")

    async def send_receipt(self, job: Job) -> Outcome:
        """The `smpp_deliver` job: one receipt to a bind of the message's customer."""
        payload = job.payload
        async with self.ctx.storage.read() as tx:
            message = await tx.mt_messages.get(int(payload["message_id"]))
        if message is None or message.customer_id is None:
            return Dead("the message is gone")
        conns = self.binds.receivers(message.customer_id, message.smpp_system_id)
        if not conns:
            return self.wait_for_bind(job)
        receipt = Receipt(
            message_id=str(message.id),
            state=RECEIPT_STATES[MessageStatus(payload["status"])],
            submitted=1,
            submit_date=_utc_naive(message.received_at),
            done_date=_utc_naive(datetime.fromisoformat(payload["at"])),
        )
        phone = phone_address(message.recipient)
        pdu = DeliverSm(
            source_addr_ton=phone.ton,
            source_addr_npi=phone.npi,
            source_addr=phone.digits,
            destination_addr=message.sender,
            esm_class=RECEIPT_ESM_CLASS,
            short_message=build_receipt_text(receipt).encode("ascii"),
            tlvs=tlvs_from_raw(build_receipt_tlvs(receipt)),
        )
        try:
            response = await conns[0].request(pdu, timeout=DELIVER_TIMEOUT)
        except (LinkFailed, TimeoutError) as exc:
            return self._retry(job, f"receipt to {conns[0].system_id}: {exc!r}")
        if response.command_status != S.ESME_ROK:
            return self._retry(job, f"receipt refused: {smpp_status_name(response.command_status)}")
        return DONE

    def _retry(self, job: Job, error: str) -> Outcome:
        return retry_or_dead(self.policy, job, self.ctx.clock(), 0.5, error)

    async def deliver_mo(self, message: StoredMo) -> tuple[str, DeliveryOutcome] | None:
        """One attempt to hand an MO to a bind of its customer as deliver_sm: (the bind's
        system_id, outcome), or None when no bind of the customer can receive."""
        if message.customer_id is None:
            return None
        conns = self.binds.receivers(message.customer_id)
        if not conns:
            return None
        conn = conns[next(self._turn) % len(conns)]
        watch = Stopwatch()
        for pdu in mo_delivers(message.sender, message.recipient, message.text, message.id % 256):
            try:
                response = await conn.request(pdu, timeout=DELIVER_TIMEOUT)
            except (LinkFailed, TimeoutError) as exc:
                return conn.system_id, DeliveryOutcome.failed(repr(exc), watch.elapsed_ms())
            status = response.command_status
            if status != S.ESME_ROK:
                error = f"deliver_sm refused: {smpp_status_name(status)}"
                return conn.system_id, DeliveryOutcome.failed(
                    error, watch.elapsed_ms(), status_code=status
                )
        return conn.system_id, DeliveryOutcome(True, None, None, watch.elapsed_ms(), False)


def _utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)
