"""The MO capability's ports: what intake, routing and delivery need from outside.

Rules:
- `MoTx` is the unit of work MO sees: its repositories below and the job queue. The SQL
  adapter's transaction (adapters/db/tx.py) implements it; records are frozen dataclasses.
- A destination is a `Deliverer` registered by its `RouteType` (app/mo/destinations/);
  one attempt per call, reported as an `Attempt` (recorded in the delivery log by the
  delivery service) or as a job `Outcome` when the deliverer settled the job itself.
- Senders (webhook, e-mail, a customer's bind) make exactly one attempt and report it
  as a `DeliveryOutcome`; they never sleep or retry. `ok` implies no error and not
  retryable; a failure carries a short, stable `error` text ("HTTP 503", "timeout",
  "refused: loopback address", "SMTP 550 …"); `status_code` is the HTTP status or SMTP
  reply code when the peer answered.
- `CustomerBinds` is what MO needs of the customers' SMPP binds (app/binds/, a layer
  above): the binds object is passed in by the composition root, never imported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from kodeord.app.delivery import DeliveryOutcome
from kodeord.app.jobs import Job, JobStore
from kodeord.app.keywords.ports import LeaseStore
from kodeord.app.mt.gateway_sms import GatewayTx
from kodeord.app.worker import Outcome
from kodeord.domain.messages import MessageStatus
from kodeord.domain.routes import Route

R_contra = TypeVar("R_contra", contravariant=True)

# --- one attempt ---------------------------------------------------------------------


# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredMo:
    """An MO as stored and routed: what a destination is given."""

    id: int
    recipient: str
    sender: str
    text: str
    received_at: datetime
    segments: int
    encoding: str
    number: str | None
    customer_id: int | None
    keyword: str | None
    body: str | None
    destination: Route | None  # None until routed to a customer


@dataclass(frozen=True, slots=True)
class NewMo:
    """A whole MO to store (before routing)."""

    recipient: str
    sender: str
    text: str
    data_coding: int
    encoding: str
    segments: int
    link: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class RoutingRecord:
    """What a message row records of its routing decision (all None: not routed yet)."""

    status: MessageStatus
    number: str | None = None
    customer_id: int | None = None
    keyword: str | None = None
    lease_id: int | None = None
    body: str | None = None
    route_step: str | None = None
    routed_at: datetime | None = None
    destination: Route | None = None


UNROUTED = RoutingRecord(MessageStatus.RECEIVED)


@dataclass(frozen=True, slots=True)
class UnroutedMo:
    """A stored MO for the `route` job: its routing, if a worker did it already."""

    message: StoredMo
    routed_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One row of the delivery log."""

    message_id: int
    destination: str  # the route type
    target: str | None
    attempt: int
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    at: datetime


@dataclass(frozen=True, slots=True)
class FinalStatus:
    message_id: int
    status: MessageStatus
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewPart:
    """One part of a long MO, kept until the others come."""

    sender: str
    recipient: str
    ref: int
    total: int
    seq: int
    data_coding: int
    payload: bytes
    link: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StoredPart:
    sender: str
    recipient: str
    seq: int
    data_coding: int
    payload: bytes
    link: str | None


@dataclass(frozen=True, slots=True)
class PartGroup:
    """The parts of one long MO: (sender, recipient, concat ref, total parts)."""

    sender: str
    recipient: str
    ref: int
    total: int


# --- repositories ----------------------------------------------------------------------


class MoMessageStore(Protocol):
    """Inbound messages and their delivery log (`tx.mo_messages`)."""

    async def insert_many(self, messages: Sequence[tuple[NewMo, RoutingRecord]]) -> list[int]:
        """Insert messages in one statement; their ids in order."""
        ...

    async def get(self, message_id: int) -> UnroutedMo | None: ...

    async def get_many(self, ids: Sequence[int]) -> Mapping[int, StoredMo]: ...

    async def record_routing(self, message_id: int, routing: RoutingRecord) -> None: ...

    async def set_status(
        self, message_id: int, status: MessageStatus, delivered_at: datetime | None = None
    ) -> None: ...

    async def record_attempts(
        self, attempts: Sequence[DeliveryAttempt], statuses: Sequence[FinalStatus]
    ) -> None:
        """Insert attempts and set final statuses (one statement each)."""
        ...


class MoSeenStore(Protocol):
    """Dedupe memory of MOs the operator may send again (`tx.mo_seen`)."""

    async def seen_since(self, key: str, since: datetime) -> int | None: ...

    async def seen_keys(self, keys: Sequence[str], since: datetime) -> set[str]: ...

    async def remember(self, entries: Sequence[tuple[str, int]], now: datetime) -> None:
        """Insert or refresh (key, message id) entries in one statement."""
        ...

    async def forget_before(self, before: datetime) -> int: ...


class MoPartStore(Protocol):
    """Parts of long MOs waiting for the rest (`tx.mo_parts`)."""

    async def lock_group(self, group: PartGroup) -> None:
        """Serialise the parts of one long MO until the unit of work ends."""
        ...

    async def add(self, part: NewPart) -> bool:
        """Keep a part; False when the same part was here already."""
        ...

    async def take(
        self, group: PartGroup, *, complete_only: bool = True
    ) -> list[StoredPart] | None:
        """The group's parts in order, removed: once all are in (or whatever came)."""
        ...

    async def stale_groups(self, before: datetime) -> list[PartGroup]: ...


@dataclass(frozen=True, slots=True)
class OptOut:
    """A phone that texted STOPP to a number: nothing more is sent it from there."""

    number: str
    phone: str
    created_at: datetime


class OptOutStore(Protocol):
    async def add(self, number: str, phone: str, now: datetime) -> None:
        """Record an opt-out; opting out twice is one opt-out."""
        ...

    async def of_phone(self, phone: str) -> list[OptOut]:
        """The phone's opt-outs, by number."""
        ...

    async def page(self, after: tuple[str, str] | None, limit: int) -> list[OptOut]:
        """Up to `limit` opt-outs after (number, phone), in that order (keyset paging)."""
        ...

    async def remove(self, number: str, phone: str) -> OptOut | None:
        """Delete the opt-out; what it was, None if there was none."""
        ...


class OptOutsTx(Protocol):
    @property
    def opt_outs(self) -> OptOutStore: ...


class MoTx(GatewayTx, Protocol):
    """MO's unit of work; with what the gateway's own SMS needs (app/mt/)."""

    @property
    def mo_messages(self) -> MoMessageStore: ...

    @property
    def mo_seen(self) -> MoSeenStore: ...

    @property
    def mo_parts(self) -> MoPartStore: ...

    @property
    def opt_outs(self) -> OptOutStore: ...

    @property
    def jobs(self) -> JobStore: ...


# --- collaborators ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt a deliverer made, for the delivery log; `target` is where it went."""

    target: str | None
    outcome: DeliveryOutcome


class Deliverer(Protocol[R_contra]):
    """One destination type: one attempt to hand `message` to `route`."""

    async def deliver(self, message: StoredMo, route: R_contra, job: Job) -> Attempt | Outcome:
        """An `Attempt` to record (then done, retried or dead by its outcome), or the job's
        `Outcome` when the deliverer settled everything itself."""
        ...


class CustomerBinds(Protocol):
    """The customers' SMPP binds, for `smpp` routes (implemented in app/binds/)."""

    async def deliver_mo(self, message: StoredMo) -> tuple[str, DeliveryOutcome] | None:
        """One deliver_sm attempt to a bind of the message's customer: (the bind's
        system_id, outcome), or None when none of its binds can receive."""
        ...

    def wait_for_bind(self, job: Job) -> Outcome:
        """The deliver job waits for the customer to bind (a RetryAt)."""
        ...


class SmsFromGateway(Protocol):
    """SMS the gateway sends itself (app/mt/): replies, confirmations, forwards."""

    async def queue_from_gateway(
        self,
        tx: MoTx,
        number: str | None,
        to: str,
        text: str,
        reason: str,
        dedupe_key: str,
    ) -> bool:
        """Queue an SMS from a short number in the unit of work, once per dedupe key;
        False when it cannot be sent as SMS."""
        ...


class EmailPoster(Protocol):
    async def send(
        self, to: str, subject: str, body: str, *, message_id: str
    ) -> DeliveryOutcome: ...


# --- the operator inbox ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxQuery:
    """Which operator-inbox messages to list, newest first; `before_id` pages back."""

    limit: int
    number: str | None = None  # the short number it was sent to
    phone: str | None = None  # the phone that sent it
    before_id: int | None = None


@dataclass(frozen=True, slots=True)
class OperatorInboxMessage:
    """An MO no customer received (routed to the operator inbox), as the provider sees it;
    `customer_id` and `handed_over_at` are set once it was handed to a customer."""

    id: int
    number: str | None
    recipient: str
    sender: str
    text: str
    keyword: str | None
    lease_id: int | None
    route_step: str | None
    received_at: datetime
    customer_id: int | None
    handed_over_at: datetime | None
    erased_at: datetime | None


class OperatorInboxStore(Protocol):
    async def page(self, query: InboxQuery) -> list[OperatorInboxMessage]:
        """The messages in the operator inbox now (not handed over), newest first."""
        ...

    async def get(self, message_id: int) -> OperatorInboxMessage | None:
        """An MO that went to the operator inbox, handed over or not (None otherwise)."""
        ...

    async def hand_over(
        self, message_id: int, customer_id: int, lease_id: int | None, now: datetime
    ) -> bool:
        """Make the message the customer's, delivered to its inbox now, unless it was
        handed over already; whether this call did it."""
        ...


class CustomerFinder(Protocol):
    async def get(self, customer_id: int) -> CustomerState | None: ...


class CustomerState(Protocol):
    @property
    def suspended(self) -> bool: ...


class OperatorInboxTx(Protocol):
    @property
    def operator_inbox(self) -> OperatorInboxStore: ...

    @property
    def customers(self) -> CustomerFinder: ...

    @property
    def leases(self) -> LeaseStore: ...
