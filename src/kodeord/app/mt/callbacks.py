"""The `status_callback` job: an MT's status change to the customer's callback URL.

Rules:
- The webhook is `message.status`, signed with the customer's signing secret (the
  keywords capability's registry keeps it opened); its id `st_<message>_<status>` lets
  the receiver drop a repeat (delivery is at least once).
- No signing secret yet: retried (the customer may create one), like a failed POST. An
  outcome the webhook sender reports as not retryable makes the job dead at once.
- A message or callback URL that is gone (erased) makes the job dead.
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from kodeord.app.context import Context
from kodeord.app.delivery import SigningSecrets, WebhookPoster
from kodeord.app.jobs import Job
from kodeord.app.metrics import METRICS, labelled
from kodeord.app.mt.ports import MtMessageStore
from kodeord.app.worker import DONE, Dead, Outcome, retry_or_dead
from kodeord.domain.retry import RetryPolicy


class CallbackTx(Protocol):
    @property
    def mt_messages(self) -> MtMessageStore: ...


class StatusCallbacks:
    def __init__(
        self,
        ctx: Context[CallbackTx],
        webhooks: WebhookPoster,
        secrets: SigningSecrets,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.ctx = ctx
        self.webhooks = webhooks
        self.secrets = secrets
        self.policy = policy or RetryPolicy()
        self.random = random.Random()

    async def status_callback(self, job: Job) -> Outcome:
        payload = job.payload
        async with self.ctx.storage.read() as tx:
            message = await tx.mt_messages.get(int(payload["message_id"]))
        if message is None or not message.callback_url:
            return Dead("the message or its callback_url is gone")
        secret = await self.secrets.signing_secret(message.customer_id)
        if secret is None:
            return self._retry(job, "no signing secret: create one with POST /v1/signing-secret")
        body: dict[str, Any] = {
            "type": "message.status",
            "id": f"msg_{message.id}",
            "status": payload["status"],
            "at": payload["at"],
            "error": payload.get("error"),
            "reference": message.reference,
            "from": message.sender,
            "to": message.recipient,
            "segments": message.segments,
            "price_ore": message.price_ore,
        }
        webhook_id = f"st_{message.id}_{payload['status']}"
        outcome = await self.webhooks.send(
            message.callback_url, secret, webhook_id, body, timestamp=self.ctx.clock()
        )
        labelled(METRICS.deliveries, "status", "ok" if outcome.ok else "failed").inc()
        if outcome.ok:
            return DONE
        if not outcome.retryable:
            return Dead(outcome.error or "refused")
        return self._retry(job, outcome.error or "failed")

    def _retry(self, job: Job, error: str) -> Outcome:
        return retry_or_dead(self.policy, job, self.ctx.clock(), self.random.random(), error)
