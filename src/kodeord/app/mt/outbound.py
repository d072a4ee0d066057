"""Outbound SMS (MT): the capability's services, built together.

`Outbound` is what the HTTP API, the SMPP binds and the worker see of MT:

- `accept` / `cancel` (accept.py): a customer's messages, checked and stored with their
  `send_mt` jobs, or refused whole; a queued one cancelled.
- `GatewaySms.queue_from_gateway` (gateway_sms.py): the gateway's own SMS, in the MO
  capability's unit of work; the composition root gives MO its own `GatewaySms`.
- the jobs (`handlers`): `send_mt` (sending.py), `receipt` (receipts.py),
  `status_callback` (callbacks.py). A status change enqueues its follow-up jobs itself
  (statuses.py): the callback, and the receipt for a customer's SMPP bind.
- `send_limits`: the API keys' token buckets (send_limits.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from kodeord.app.context import Context
from kodeord.app.delivery import SigningSecrets, WebhookPoster
from kodeord.app.jobs import JobKind
from kodeord.app.mt.accept import Acceptance, Accepted, MtRequest
from kodeord.app.mt.callbacks import StatusCallbacks
from kodeord.app.mt.ports import Links, MtTx, Origin
from kodeord.app.mt.receipts import Receipts
from kodeord.app.mt.send_limits import SendLimits
from kodeord.app.mt.sending import Sending, smpp_status_name
from kodeord.app.mt.statuses import FINAL
from kodeord.app.worker import Handler
from kodeord.domain.retry import RetryPolicy

__all__ = ["FINAL", "Accepted", "MtRequest", "Outbound", "smpp_status_name"]


class Outbound:
    def __init__(
        self,
        ctx: Context[MtTx],
        links: Links,
        webhooks: WebhookPoster,
        secrets: SigningSecrets,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.acceptance = Acceptance(ctx)
        self.sending = Sending(ctx, links, policy)
        self.receipts = Receipts(ctx)
        self.callbacks = StatusCallbacks(ctx, webhooks, secrets, policy)
        self.send_limits = SendLimits(ctx)  # per API key, for the HTTP API's sends

    @property
    def handlers(self) -> dict[str, Handler]:
        return {
            JobKind.SEND_MT: self.sending.send_mt,
            JobKind.RECEIPT: self.receipts.receipt,
            JobKind.STATUS_CALLBACK: self.callbacks.status_callback,
        }

    async def accept(
        self,
        customer_id: int,
        requests: Sequence[MtRequest],
        *,
        origin: str = Origin.API,
        wants_receipt: bool = True,
    ) -> list[Accepted]:
        return await self.acceptance.accept(
            customer_id, requests, origin=origin, wants_receipt=wants_receipt
        )

    async def cancel(self, customer_id: int | None, message_id: int) -> None:
        await self.acceptance.cancel(customer_id, message_id)
