"""The gateway's own SMS: replies, opt-out confirmations, forwards of MO to a phone.

Rules:
- The MO capability (a layer above) calls `queue_from_gateway` inside its own unit of
  work, so the SMS commits with the MO that caused it, or not at all.
- Once per `dedupe_key`: the `send_mt` job carries the key, and a second call finds it
  taken, drops its message row again and reports success.
- None of a customer's checks apply (no sender rights, no price, no opt-out check at
  send time: a STOPP confirmation must reach the phone that just opted out); the text may
  have up to 255 segments (what a UDH reference allows), not the API's 10.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

import structlog

from kodeord.app.jobs import JobKind, JobStore
from kodeord.app.mt.accept import MtRequest, new_message
from kodeord.app.mt.ports import MtMessageStore, Origin, StatusEvent
from kodeord.app.ports import Clock
from kodeord.domain.messages import MessageStatus
from kodeord.domain.outbound import Problem, plan_text

log = structlog.get_logger(__name__)
GATEWAY_MAX_SEGMENTS = 255  # forwards of long MO: what a UDH reference allows


class GatewayTx(Protocol):
    @property
    def mt_messages(self) -> MtMessageStore: ...

    @property
    def jobs(self) -> JobStore: ...


class GatewaySms:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def queue_from_gateway(
        self,
        tx: GatewayTx,
        number: str | None,
        to: str,
        text: str,
        reason: str,
        dedupe_key: str,
        customer_id: int | None = None,
    ) -> bool:
        """An SMS from a short number (reply, confirmation, forward), in the caller's unit
        of work; once per `dedupe_key` (a second call does nothing). False when it cannot
        be sent (no number, or longer than 255 segments)."""
        if number is None:
            return False
        now: datetime = self.clock()
        plan = plan_text(text, 0, max_segments=GATEWAY_MAX_SEGMENTS)
        if isinstance(plan, Problem):
            log.warning("gateway SMS not sent", reason=reason, problem=plan.code)
            return False
        request = MtRequest(sender=number, to=to, text=text)
        message = new_message(customer_id, number, to, request, plan, now, origin=Origin.GATEWAY)
        message = replace(message, price_ore=None, route_step=reason)  # the gateway pays
        (message_id,) = await tx.mt_messages.insert([message])
        job_id = await tx.jobs.enqueue(
            JobKind.SEND_MT, {"message_id": message_id}, dedupe_key=dedupe_key
        )
        if job_id is None:  # sent once already
            await tx.mt_messages.delete(message_id)
            return True
        await tx.mt_messages.add_events(
            [StatusEvent(message_id, MessageStatus.QUEUED, reason)], now
        )
        return True
