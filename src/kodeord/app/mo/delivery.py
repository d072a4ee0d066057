"""What happens to a stored MO: the jobs that route it and deliver it.

- `route`: ask the pure router (domain.routing) with facts from the registry, record
  the decision on the message, and queue what follows — in one transaction:
  DELIVER → a `deliver` job to the destination (the keyword's route; without a keyword
  the customer's default route, else its inbox); OPT_OUT → the opt-out is recorded and a
  confirmation SMS queued; HELP → the help text queued as SMS; no match → the number
  operator's inbox (plus a "did you mean" reply when the number asks for it).
- `deliver`: one attempt at the destination; the outcome is recorded as a delivery
  attempt; failures are retried by `RetryPolicy` (5 s doubling, up to 24 h), then the
  job is dead (admin can replay it). The webhook id is `msg_<id>` on every attempt.
- SMS the gateway sends itself (confirmations, replies, forwards) go through the
  outbound path (app/outbound.py): a message row and its `send_mt` job.

Every job is idempotent where it must be: follow-up jobs carry a dedupe key, so a route
job that runs twice (its worker died after committing) does not deliver twice.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import messages as repo
from kodeord.adapters.delivery import DeliveryOutcome
from kodeord.adapters.email import EmailSender
from kodeord.adapters.queue import Job, JobQueue, NewJob
from kodeord.adapters.webhooks import WebhookSender
from kodeord.app.batching import Batcher
from kodeord.app.context import Context
from kodeord.app.keywords.registry import RegistryCache
from kodeord.app.metrics import METRICS, labelled
from kodeord.app.mt.outbound import Outbound
from kodeord.app.worker import DONE, SETTLED, Dead, JobWorker, Outcome, retry_or_dead
from kodeord.domain.retry import RetryPolicy
from kodeord.domain.routes import DEFAULT_ROUTE
from kodeord.domain.routing import Decision, DecisionKind, IncomingMessage, route

if TYPE_CHECKING:
    from kodeord.app.binds.customer_smpp import CustomerSmpp

log = structlog.get_logger(__name__)
SEND_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class _Record:
    attempt: dict[str, Any]
    status: dict[str, Any] | None  # the message's new status, when final
    done: tuple[int, str | None] | None  # (job id, worker) to mark done in the same write


@dataclass(frozen=True, slots=True)
class Leased:
    """A deliver job leased at intake, with its message as stored (see `run_now`)."""

    job: Job
    message: Any


@dataclass(frozen=True, slots=True)
class Routed:
    """A router decision and, for a delivery, its destination (a route value)."""

    decision: Decision
    destination: dict[str, Any] | None

    def columns(self, now: datetime) -> dict[str, Any]:
        """The message row's columns that record this decision."""
        decision = self.decision
        values: dict[str, Any] = {
            "number": decision.number,
            "customer_id": decision.customer_id,
            "keyword": decision.keyword,
            "lease_id": decision.lease_id,
            "body": decision.body,
            "route_step": decision.step,
            "routed_at": now,
            "destination": None,  # every row of a batch has the same columns
        }
        kind = decision.kind
        if kind is DecisionKind.DELIVER:
            values.update(status="routed", destination=self.destination)
        elif kind is DecisionKind.OPT_OUT:
            values.update(status="opt_out")
        elif kind is DecisionKind.HELP:
            values.update(status="help")
        else:
            values.update(status="inbox", customer_id=None)
        return values


def _deliver_jobs(items: Sequence[tuple[int, Any, Any]]) -> list[NewJob]:
    return [
        NewJob("deliver", {"message_id": message_id}, dedupe_key=f"deliver:{message_id}")
        for message_id, _, _ in items
    ]


def webhook_payload(message: Any) -> dict[str, Any]:
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


class Pipeline:
    def __init__(
        self,
        ctx: Context,
        queue: JobQueue,
        registry: RegistryCache,
        outbound: Outbound,
        webhooks: WebhookSender,
        email: EmailSender | None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.ctx = ctx
        self.queue = queue
        self.registry = registry
        self.outbound = outbound
        self.webhooks = webhooks
        self.email = email
        self.policy = policy or RetryPolicy()
        self.random = random.Random()
        self.worker: JobWorker | None = None  # set by the gateway: runs leased deliver jobs
        self.customer_smpp: CustomerSmpp | None = None  # set by the gateway: `smpp` routes
        # Concurrent deliveries share their reads and writes (see app/batching.py).
        self._loader: Batcher[int, Any] = Batcher(self._load_many)
        self._recorder: Batcher[_Record, None] = Batcher(
            self._record_many, concurrency=ctx.db.write_concurrency
        )
        # Messages whose deliver job this process leased at intake, as they were stored:
        # their first attempt needs no read.
        self._preloaded: dict[int, Any] = {}

    @property
    def handlers(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "deliver": self.deliver,
        }

    # --- route ---------------------------------------------------------------------------

    async def route(self, job: Job) -> Outcome:
        """The `route` job: for a message stored without a decision (inline routing failed)."""
        message_id = int(job.payload["message_id"])
        async with self.ctx.db.read() as conn:
            message = await repo.get_message(conn, message_id)
        if message is None:
            return Dead(f"message {message_id} does not exist")
        if message.routed_at is not None:
            return DONE  # routed already by a worker that died before completing the job
        now = self.ctx.clock()
        incoming = IncomingMessage(
            message.recipient, message.sender, message.text, message.received_at
        )
        (routed,) = await self.decide([incoming], now)

        async def apply(conn: AsyncConnection) -> None:
            columns = routed.columns(now)
            await repo.update_message(conn, message.id, **columns)
            stored = {**message._mapping, **columns}
            await self.follow_up(conn, [(message.id, stored, routed)], now)

        await self.ctx.db.write(apply)
        return DONE

    async def decide(self, messages: Sequence[IncomingMessage], now: datetime) -> list[Routed]:
        """Route messages: the pure router's decisions, with each delivery's destination.
        Reads only (mostly from the registry's cache), so it runs before the storing
        transaction and holds no write lock."""
        pairs = [(m.recipient, m.sender) for m in messages]
        registry = await self.registry.for_messages(pairs, now)
        decisions = [route(message, registry) for message in messages]
        customers = sorted(
            {
                d.customer_id
                for d in decisions
                if d.kind is DecisionKind.DELIVER
                and d.customer_id is not None
                and (d.lease_id is None or not registry.route_of(d.number, d.lease_id))
            }
        )
        defaults = await self.registry.default_routes(customers) if customers else {}
        routed = []
        for decision in decisions:
            destination = None
            if decision.kind is DecisionKind.DELIVER:
                assert decision.customer_id is not None
                lease_route = None
                if decision.lease_id is not None:
                    lease_route = registry.route_of(decision.number, decision.lease_id)
                destination = lease_route or defaults.get(decision.customer_id) or DEFAULT_ROUTE
            routed.append(Routed(decision, dict(destination) if destination else None))
            labelled(METRICS.routed, decision.kind.name.lower(), decision.step).inc()
        return routed

    async def follow_up(
        self,
        conn: AsyncConnection,
        items: Sequence[tuple[int, Mapping[str, Any], Routed]],
        now: datetime,
        *,
        lease: bool = False,
    ) -> list[Leased]:
        """What follows routed messages (id, stored columns, decision), in the transaction
        that records their decisions: deliver jobs (one statement for all), opt-outs,
        replies. With `lease`, as many deliver jobs as this process's worker has room for
        are inserted leased to it and returned, for `run_now` after the commit; the rest
        are queued."""
        delivered = [item for item in items if item[2].decision.kind is DecisionKind.DELIVER]
        room = 0
        if lease and self.worker is not None:
            room = min(len(delivered), self.worker.room())
        leased: list[Leased] = []
        if room:
            assert self.worker is not None
            jobs = await self.queue.enqueue_leased(
                conn, _deliver_jobs(delivered[:room]), self.worker.name, self.worker.lease_seconds
            )
            stored = {message_id: columns for message_id, columns, _ in delivered[:room]}
            for job in jobs:
                message_id = int(job.payload["message_id"])
                message = SimpleNamespace(id=message_id, **stored[message_id])
                leased.append(Leased(job, message))
        if len(delivered) > room:
            await self.queue.enqueue_many(conn, _deliver_jobs(delivered[room:]))
        for message_id, columns, routed in items:
            sender = str(columns["sender"])
            decision = routed.decision
            if decision.kind is DecisionKind.OPT_OUT:
                await repo.add_opt_out(conn, decision.number, sender, now)
            if decision.reply and self._should_reply(decision, sender):
                await self._queue_sms(
                    conn,
                    decision.number,
                    sender,
                    decision.reply,
                    decision.step,
                    f"reply:{message_id}",
                )
        return leased

    def run_now(self, leased: Sequence[Leased]) -> None:
        """Start deliver jobs that `follow_up` leased to this process, once committed."""
        if leased and self.worker is not None:
            for item in leased:
                self._preloaded[item.message.id] = item.message
            self.worker.take([item.job for item in leased])

    async def _queue_sms(
        self,
        conn: AsyncConnection,
        number: str | None,
        to: str,
        text: str,
        reason: str,
        dedupe_key: str,
    ) -> bool:
        """Queue an SMS from a short number (the outbound path sends it), once per key."""
        return await self.outbound.queue_from_gateway(conn, number, to, text, reason, dedupe_key)

    def _should_reply(self, decision: Decision, sender: str) -> bool:
        if not sender.startswith("+"):
            return False  # an alphanumeric sender cannot be answered
        if decision.kind in (DecisionKind.OPT_OUT, DecisionKind.HELP):
            return True
        facts = self.registry.cached(decision.number)
        return bool(facts and facts.reply_unknown)

    # --- deliver -------------------------------------------------------------------------

    async def deliver(self, job: Job) -> Outcome:
        message_id = int(job.payload["message_id"])
        message = self._preloaded.pop(message_id, None) or await self._loader.call(message_id)
        if message is None:
            return Dead(f"message {message_id} does not exist")
        destination = message.destination or DEFAULT_ROUTE
        kind = destination["type"]
        if kind == "sms":
            return await self._forward(message, destination["to"])
        if kind == "smpp" and self.customer_smpp is not None:
            # deliver_sm to a bind of the customer; with none bound the job waits for one
            attempt = await self.customer_smpp.deliver_mo(message)
            if attempt is None:
                return self.customer_smpp.wait_for_bind(job)
            await self._record(message, kind, attempt[0], attempt[1], job)
            if attempt[1].ok:
                return SETTLED
            return self._retry_or_give_up(job, attempt[1].error or "failed")
        if kind in ("inbox", "smpp"):  # smpp without the customers' SMPP server: inbox
            ok = DeliveryOutcome(True, None, None, 0.0, retryable=False)
            await self._record(message, kind, None, ok, job)
            return SETTLED
        target, outcome = await self._attempt(kind, destination, message)
        await self._record(message, kind, target, outcome, job)
        if outcome.ok:
            return SETTLED
        if not outcome.retryable:
            return Dead(outcome.error or "refused")
        return self._retry_or_give_up(job, outcome.error or "failed")

    async def _attempt(
        self, kind: str, destination: dict[str, Any], message: Any
    ) -> tuple[str, DeliveryOutcome]:
        """One delivery attempt to a webhook or an e-mail address."""
        if kind == "webhook":
            url = str(destination["url"])
            secret = await self.registry.signing_secret(message.customer_id)
            if secret is None:
                missing = "no signing secret: create one with POST /v1/signing-secret"
                return url, DeliveryOutcome.failed(missing, 0.0)
            payload = webhook_payload(message)
            now = self.ctx.clock()
            return url, await self.webhooks.send(
                url, secret, f"msg_{message.id}", payload, timestamp=now
            )
        to = str(destination["to"])
        if self.email is None:
            return to, DeliveryOutcome.failed("no SMTP server configured (KODEORD_SMTP_URL)", 0.0)
        subject = f"SMS til {message.number} fra {message.sender}"
        return to, await self.email.send(to, subject, message.text, message_id=f"msg_{message.id}")

    def _retry_or_give_up(self, job: Job, error: str) -> Outcome:
        return retry_or_dead(self.policy, job, self.ctx.clock(), self.random.random(), error)

    async def _record(
        self,
        message: Any,
        destination: str,
        target: str | None,
        outcome: DeliveryOutcome,
        job: Job,
    ) -> None:
        """Record one attempt (with others at the same time); a delivered job is marked
        done in the same write (the handler then answers SETTLED)."""
        now = self.ctx.clock()
        attempt = {
            "message_id": message.id,
            "destination": destination,
            "target": target,
            "attempt": job.attempts,
            "ok": outcome.ok,
            "status_code": outcome.status_code,
            "error": (outcome.error or "")[:500] or None,
            "duration_ms": outcome.duration_ms,
            "at": now,
        }
        status = None
        if outcome.ok or not outcome.retryable:
            status = {
                "message_id": message.id,
                "new_status": "delivered" if outcome.ok else "failed",
                "new_delivered_at": now if outcome.ok else None,
            }
        done = (job.id, job.leased_by) if outcome.ok else None
        await self._recorder.call(_Record(attempt, status, done))
        labelled(METRICS.deliveries, destination, "ok" if outcome.ok else "failed").inc()
        labelled(METRICS.delivery_seconds, destination).observe(outcome.duration_ms / 1000)

    async def _load_many(self, ids: list[int]) -> list[Any]:
        """Messages for many deliveries at once (None for an id that does not exist)."""
        async with self.ctx.db.read() as conn:
            rows = await repo.get_messages(conn, ids)
        return [rows.get(message_id) for message_id in ids]

    async def _record_many(self, items: list[_Record]) -> list[None]:
        attempts = [item.attempt for item in items]
        statuses = [item.status for item in items if item.status is not None]
        done: dict[str | None, list[int]] = {}
        for item in items:
            if item.done is not None:
                done.setdefault(item.done[1], []).append(item.done[0])

        async def write(conn: AsyncConnection) -> None:
            await repo.record_attempts(conn, attempts, statuses)
            for worker, job_ids in done.items():
                await self.queue.complete_in(conn, job_ids, worker=worker)

        await self.ctx.db.write(write)
        return [None] * len(items)

    async def _forward(self, message: Any, phone: str) -> Outcome:
        async def write(conn: AsyncConnection) -> bool:
            text = f"{message.sender}: {message.text}"
            queued = await self._queue_sms(
                conn, message.number, phone, text, "forward", f"forward:{message.id}"
            )
            if queued:
                await repo.update_message(
                    conn, message.id, status="delivered", delivered_at=self.ctx.clock()
                )
            else:
                await repo.update_message(conn, message.id, status="failed")
            return queued

        if not await self.ctx.db.write(write):
            labelled(METRICS.deliveries, "sms", "failed").inc()
            return Dead("the forward cannot be sent as SMS (no number, or over 255 segments)")
        labelled(METRICS.deliveries, "sms", "ok").inc()
        return DONE
