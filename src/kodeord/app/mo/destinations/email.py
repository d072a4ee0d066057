"""E-mail: the message's text as a mail to the route's address, one SMTP submission."""

from __future__ import annotations

from kodeord.app.delivery import DeliveryOutcome
from kodeord.app.jobs import Job
from kodeord.app.mo.ports import Attempt, EmailPoster, StoredMo
from kodeord.domain.routes import EmailRoute

NO_SMTP = "no SMTP server configured (KODEORD_SMTP_URL)"


class EmailDestination:
    def __init__(self, poster: EmailPoster | None) -> None:
        self.poster = poster  # None: no SMTP server configured; attempts fail (retried)

    async def deliver(self, message: StoredMo, route: EmailRoute, job: Job) -> Attempt:
        if self.poster is None:
            return Attempt(route.to, DeliveryOutcome.failed(NO_SMTP, 0.0))
        subject = f"SMS til {message.number} fra {message.sender}"
        outcome = await self.poster.send(
            route.to, subject, message.text, message_id=f"msg_{message.id}"
        )
        return Attempt(route.to, outcome)
