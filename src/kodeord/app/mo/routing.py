"""Routing a stored MO: decide with the pure router, record the decision, queue what follows.

- `decide`: the pure router (domain.routing.route) with facts from the registry (mostly
  cached, reads only, so it runs before the storing unit of work and holds no lock).
  DELIVER goes to the keyword's route; without one, the customer's default route, else
  its inbox. A delivery to a customer the provider suspended goes to the operator inbox
  instead (`hold_suspended`).
- `follow_up`, in the unit of work that records the decisions: deliver jobs (one
  statement for all); OPT_OUT records the opt-out and queues a confirmation SMS; HELP
  queues the help text as SMS; no match goes to the number operator's inbox (plus a "did
  you mean" reply when the number asks for it). SMS go through the MT capability's
  gateway SMS (app/mt/gateway_sms.py).
- Inline: intake asks `follow_up(lease=True)`; as many deliver jobs as this process's
  worker has room for are inserted leased to it, and `run_now` hands them to it after
  the commit, their messages as stored (no claim, no read).
- The `route` job: for a message stored without a decision (routing failed at intake).

Follow-up jobs carry dedupe keys, so a route job that runs twice (its worker died after
committing) does not deliver or reply twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from kodeord.app.context import Context
from kodeord.app.jobs import Job, JobKind, NewJob
from kodeord.app.metrics import METRICS, labelled
from kodeord.app.mo.leased import Leased, LeasedDeliveries
from kodeord.app.mo.ports import MoTx, RoutingRecord, SmsFromGateway, StoredMo
from kodeord.app.worker import DONE, Dead, Handler, Outcome
from kodeord.domain.messages import MessageStatus
from kodeord.domain.routes import DEFAULT_ROUTE, Route, route_from_json
from kodeord.domain.routing import (
    Decision,
    DecisionKind,
    IncomingMessage,
    Registry,
    Step,
    route,
)

_STATUS = {
    DecisionKind.DELIVER: MessageStatus.ROUTED,
    DecisionKind.OPT_OUT: MessageStatus.OPT_OUT,
    DecisionKind.HELP: MessageStatus.HELP,
}


class RoutingView(Registry, Protocol):
    """The facts for one batch of messages, with the routes of the leases on them."""

    def route_of(self, number: str, lease_id: int) -> Mapping[str, object] | None: ...


class NumberReplies(Protocol):
    @property
    def reply_unknown(self) -> bool: ...


class RoutingFacts(Protocol):
    """The router's read model (app/keywords/registry.py RegistryCache)."""

    async def for_messages(
        self, messages: Sequence[tuple[str, str]], now: datetime
    ) -> RoutingView: ...

    async def default_routes(
        self, customer_ids: Sequence[int]
    ) -> Mapping[int, Mapping[str, object]]:
        """Each customer's default route, where it set one (stored JSON)."""
        ...

    def cached(self, number: str | None) -> NumberReplies | None:
        """A number's facts as last loaded (no database access)."""
        ...

    async def suspended_customers(self) -> frozenset[int]:
        """The customers the provider has suspended."""
        ...


def hold_suspended(decision: Decision, suspended: frozenset[int]) -> Decision:
    """A delivery to a suspended customer goes to the operator inbox instead, as for a
    suspended keyword (step `suspended`; the customer stays named in the decision, the
    message row records none)."""
    if decision.kind is not DecisionKind.DELIVER or decision.customer_id not in suspended:
        return decision
    return replace(decision, kind=DecisionKind.OPERATOR_INBOX, step=Step.SUSPENDED)


@dataclass(frozen=True, slots=True)
class Routed:
    """A router decision and, for a delivery, its destination."""

    decision: Decision
    destination: Route | None

    def record(self, now: datetime) -> RoutingRecord:
        """What the message row records of this decision."""
        decision = self.decision
        status = _STATUS.get(decision.kind, MessageStatus.INBOX)
        customer_id = decision.customer_id if decision.kind in _STATUS else None
        return RoutingRecord(
            status=status,
            number=decision.number,
            customer_id=customer_id,
            keyword=decision.keyword,
            lease_id=decision.lease_id,
            body=decision.body,
            route_step=decision.step,
            routed_at=now,
            destination=self.destination if decision.kind is DecisionKind.DELIVER else None,
        )


@dataclass(frozen=True, slots=True)
class RoutedMo:
    """A stored message (as routed) and the decision that routed it."""

    message: StoredMo
    routed: Routed


def as_routed(message: StoredMo, routed: Routed, now: datetime) -> RoutedMo:
    """`message` with the columns `routed` records, as the deliverer will see it."""
    record = routed.record(now)
    stored = replace(
        message,
        number=record.number,
        customer_id=record.customer_id,
        keyword=record.keyword,
        body=record.body,
        destination=record.destination,
    )
    return RoutedMo(stored, routed)


def _deliver_jobs(items: Sequence[RoutedMo]) -> list[NewJob]:
    return [
        NewJob(JobKind.DELIVER, {"message_id": m.id}, dedupe_key=f"deliver:{m.id}")
        for m in (item.message for item in items)
    ]


class MoRouter:
    def __init__(
        self,
        ctx: Context[MoTx],
        facts: RoutingFacts,
        sms: SmsFromGateway,
        leased: LeasedDeliveries,
    ) -> None:
        self.ctx = ctx
        self.facts = facts
        self.sms = sms
        self.leased = leased

    @property
    def handlers(self) -> dict[str, Handler]:
        return {JobKind.ROUTE: self.route}

    async def route(self, job: Job) -> Outcome:
        """The `route` job: for a message stored without a decision (inline routing failed)."""
        message_id = int(job.payload["message_id"])
        async with self.ctx.storage.read() as tx:
            found = await tx.mo_messages.get(message_id)
        if found is None:
            return Dead(f"message {message_id} does not exist")
        if found.routed_at is not None:
            return DONE  # routed already by a worker that died before completing the job
        message = found.message
        now = self.ctx.clock()
        incoming = IncomingMessage(
            message.recipient, message.sender, message.text, message.received_at
        )
        (routed,) = await self.decide([incoming], now)
        item = as_routed(message, routed, now)

        async def apply(tx: MoTx) -> None:
            await tx.mo_messages.record_routing(message.id, routed.record(now))
            await self.follow_up(tx, [item], now)

        await self.ctx.storage.write(apply)
        return DONE

    async def decide(self, messages: Sequence[IncomingMessage], now: datetime) -> list[Routed]:
        """The pure router's decisions, with each delivery's destination."""
        pairs = [(m.recipient, m.sender) for m in messages]
        registry = await self.facts.for_messages(pairs, now)
        decisions = [route(message, registry) for message in messages]
        if any(d.kind is DecisionKind.DELIVER for d in decisions):
            suspended = await self.facts.suspended_customers()
            if suspended:
                decisions = [hold_suspended(d, suspended) for d in decisions]
        customers = sorted(
            {
                d.customer_id
                for d in decisions
                if d.kind is DecisionKind.DELIVER
                and d.customer_id is not None
                and (d.lease_id is None or not registry.route_of(d.number, d.lease_id))
            }
        )
        defaults = await self.facts.default_routes(customers) if customers else {}
        routed = []
        for decision in decisions:
            destination = None
            if decision.kind is DecisionKind.DELIVER:
                assert decision.customer_id is not None
                lease_route = None
                if decision.lease_id is not None:
                    lease_route = registry.route_of(decision.number, decision.lease_id)
                stored = lease_route or defaults.get(decision.customer_id)
                destination = route_from_json(stored) if stored else DEFAULT_ROUTE
            routed.append(Routed(decision, destination))
            labelled(METRICS.routed, decision.kind.name.lower(), decision.step).inc()
        return routed

    async def follow_up(
        self, tx: MoTx, items: Sequence[RoutedMo], now: datetime, *, lease: bool = False
    ) -> list[Leased]:
        """What follows routed messages, in the unit of work that records their decisions:
        deliver jobs (one statement for all), opt-outs, replies. With `lease`, as many
        deliver jobs as this process's worker has room for are inserted leased to it and
        returned, for `run_now` after the commit; the rest are queued."""
        delivered = [i for i in items if i.routed.decision.kind is DecisionKind.DELIVER]
        leased = await self._lease(tx, delivered) if lease else []
        if len(delivered) > len(leased):
            await tx.jobs.enqueue_many(_deliver_jobs(delivered[len(leased) :]))
        for item in items:
            await self._answer(tx, item, now)
        return leased

    async def _lease(self, tx: MoTx, delivered: Sequence[RoutedMo]) -> list[Leased]:
        runner = self.leased.inline.runner
        room = min(len(delivered), self.leased.inline.room())
        if runner is None or not room:
            return []
        jobs = await tx.jobs.enqueue_leased(
            _deliver_jobs(delivered[:room]), runner.name, runner.lease_seconds
        )
        by_id = {item.message.id: item.message for item in delivered[:room]}
        return [Leased(job, by_id[int(job.payload["message_id"])]) for job in jobs]

    async def _answer(self, tx: MoTx, item: RoutedMo, now: datetime) -> None:
        """The opt-out and the reply a decision asks for, if any."""
        message, decision = item.message, item.routed.decision
        sender = message.sender
        if decision.kind is DecisionKind.OPT_OUT:
            assert decision.number is not None
            await tx.opt_outs.add(decision.number, sender, now)
        if decision.reply and self._should_reply(decision, sender):
            await self.sms.queue_from_gateway(
                tx, decision.number, sender, decision.reply, decision.step, f"reply:{message.id}"
            )

    def run_now(self, leased: Sequence[Leased]) -> None:
        """Start deliver jobs that `follow_up` leased to this process, once committed."""
        self.leased.run(leased)

    def _should_reply(self, decision: Decision, sender: str) -> bool:
        if not sender.startswith("+"):
            return False  # an alphanumeric sender cannot be answered
        if decision.kind in (DecisionKind.OPT_OUT, DecisionKind.HELP):
            return True
        facts = self.facts.cached(decision.number)
        return bool(facts and facts.reply_unknown)
