"""Webhook: one signed POST of the message as JSON to the route's URL.

The webhook id is `msg_<id>` on every attempt, so the receiver can drop repeats. Without
a signing secret nothing is sent (an unsigned POST would teach receivers to skip the
check) and the job waits for one, like a message for an SMPP bind: the pause grows to
`MAX_SECRET_WAIT` and the job never dies of it, so a message that arrived before the
customer created the secret is delivered once it exists (PUT .../route warns of this).
"""

from __future__ import annotations

from datetime import timedelta

from kodeord.app.delivery import SigningSecrets, WebhookPoster
from kodeord.app.jobs import Job
from kodeord.app.mo.ports import Attempt, StoredMo
from kodeord.app.ports import Clock
from kodeord.app.worker import Outcome, RetryAt
from kodeord.domain.routes import WebhookRoute

NO_SECRET = "no signing secret: create one with POST /v1/signing-secret"
MAX_SECRET_WAIT = timedelta(minutes=5)


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

    async def deliver(self, message: StoredMo, route: WebhookRoute, job: Job) -> Attempt | Outcome:
        url = route.url
        secret = await self.secrets.signing_secret(message.customer_id)
        if secret is None:
            pause = min(timedelta(seconds=2 ** min(job.attempts, 9)), MAX_SECRET_WAIT)
            return RetryAt(self.clock() + pause, NO_SECRET)
        outcome = await self.poster.send(
            url, secret, f"msg_{message.id}", webhook_payload(message), timestamp=self.clock()
        )
        return Attempt(url, outcome)
