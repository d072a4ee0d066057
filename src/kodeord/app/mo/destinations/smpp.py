"""SMPP: deliver_sm to a bind of the message's customer (app/binds/ implements the port).

While none of the customer's binds can receive, the job waits for one. Without the
customers' SMPP server at all, the message is kept as in the inbox.
"""

from __future__ import annotations

from kodeord.app.jobs import Job
from kodeord.app.mo.destinations.inbox import KEPT
from kodeord.app.mo.ports import Attempt, CustomerBinds, StoredMo
from kodeord.app.worker import Outcome
from kodeord.domain.routes import SmppRoute


class SmppDestination:
    def __init__(self, binds: CustomerBinds | None) -> None:
        self.binds = binds

    async def deliver(self, message: StoredMo, route: SmppRoute, job: Job) -> Attempt | Outcome:
        if self.binds is None:
            return Attempt(None, KEPT)
        attempt = await self.binds.deliver_mo(message)
        if attempt is None:
            return self.binds.wait_for_bind(job)
        system_id, outcome = attempt
        return Attempt(system_id, outcome)
