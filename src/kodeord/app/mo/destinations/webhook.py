"""Webhook: one signed POST of the message as JSON to the route's URL.

The webhook id is `msg_<id>` on every attempt, so the receiver can drop repeats. Without
a signing secret the attempt fails (and is retried: the customer may create one meanwhile).
"""

from __future__ import annotations

from kodeord.app.jobs import Job
from kodeord.app.mo.ports import (
    Attempt,
    DeliveryOutcome,
    SigningSecrets,
    StoredMo,
    WebhookPoster,
)
from kodeord.app.ports import Clock
from kodeord.domain.routes import WebhookRoute

NO_SECRET = "no signing secret: create one with POST /v1/signing-secret"


def webhook_payload(message: StoredMo) -> dict[str, object]:
    return {
        "type": "message.received",
        "id": f"msg_{message.id}",
        "number": message.number,
        "to": message.recipient,
        "keyword": message.keyword,
        "text": message.text,
        "body": message.body,
        "from": message.sender,
        "received_at": message.received_at.isoformat(),
        "segments": message.segments,
        "encoding": message.encoding,
    }


class WebhookDestination:
    def __init__(self, secrets: SigningSecrets, poster: WebhookPoster, clock: Clock) -> None:
        self.secrets = secrets
        self.poster = poster
        self.clock = clock

    async def deliver(self, message: StoredMo, route: WebhookRoute, job: Job) -> Attempt:
        url = route.url
        secret = await self.secrets.signing_secret(message.customer_id)
        if secret is None:
            return Attempt(url, DeliveryOutcome.failed(NO_SECRET, 0.0))
        outcome = await self.poster.send(
            url, secret, f"msg_{message.id}", webhook_payload(message), timestamp=self.clock()
        )
        return Attempt(url, outcome)
