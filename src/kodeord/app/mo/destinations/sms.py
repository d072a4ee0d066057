"""SMS forward: the message, prefixed with its sender, as an SMS to the route's phone.

The forward is the gateway's own SMS (app/mt/gateway_sms.py), queued in the unit of work
that marks the message delivered (once per message: dedupe key `forward:<id>`). A
message that cannot be sent as SMS (no number, over 255 segments) fails for good.
"""

from __future__ import annotations

from kodeord.app.jobs import Job
from kodeord.app.metrics import METRICS, labelled
from kodeord.app.mo.ports import MoTx, SmsFromGateway, StoredMo
from kodeord.app.ports import Clock, Storage
from kodeord.app.worker import DONE, Dead, Outcome
from kodeord.domain.messages import MessageStatus
from kodeord.domain.routes import RouteType, SmsRoute

UNSENDABLE = "the forward cannot be sent as SMS (no number, or over 255 segments)"


class SmsForward:
    def __init__(self, storage: Storage[MoTx], sms: SmsFromGateway, clock: Clock) -> None:
        self.storage = storage
        self.sms = sms
        self.clock = clock

    async def deliver(self, message: StoredMo, route: SmsRoute, job: Job) -> Outcome:
        async def write(tx: MoTx) -> bool:
            text = f"{message.sender}: {message.text}"
            queued = await self.sms.queue_from_gateway(
                tx, message.number, route.to, text, "forward", f"forward:{message.id}"
            )
            if queued:
                await tx.mo_messages.set_status(message.id, MessageStatus.DELIVERED, self.clock())
            else:
                await tx.mo_messages.set_status(message.id, MessageStatus.FAILED)
            return queued

        if not await self.storage.write(write):
            labelled(METRICS.deliveries, RouteType.SMS.value, "failed").inc()
            return Dead(UNSENDABLE)
        labelled(METRICS.deliveries, RouteType.SMS.value, "ok").inc()
        return DONE
