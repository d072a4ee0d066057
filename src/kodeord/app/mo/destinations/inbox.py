"""The inbox: the message stays for the API and console; delivered as soon as stored."""

from __future__ import annotations

from kodeord.app.delivery import DeliveryOutcome
from kodeord.app.jobs import Job
from kodeord.app.mo.ports import Attempt, StoredMo
from kodeord.domain.routes import InboxRoute

KEPT = DeliveryOutcome.delivered(None, 0.0)


class InboxDestination:
    async def deliver(self, message: StoredMo, route: InboxRoute, job: Job) -> Attempt:
        return Attempt(None, KEPT)
