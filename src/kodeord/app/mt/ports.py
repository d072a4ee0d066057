"""What the MT capability needs from outside: its repositories, the links, the webhooks.

Rules:
- A unit of work of MT sees `MtTx`: the stored MT messages (`tx.mt_messages`), their
  parts with the operator's ids (`tx.mt_parts`), who may send from a number
  (`tx.mt_senders`, keywords' `tx.numbers`), customers' own sending limits
  (`tx.send_limits`), the customers (accounts' `tx.customers`) and the queue.
  The SQL adapter implements them (adapters/db/mt_messages.py, adapters/db/send_limits.py).
  Reading messages back and settings (messages.py) use `tx.message_log` and
  `tx.customer_settings` (adapters/db/message_log.py, customer_settings.py).
- Records are frozen dataclasses: `OutboundMessage` is the stored MT as MT reads it,
  `NewOutboundMessage` what `accept` stores, `Part` / `NewPart` the parts.
- Operator links (`Links`) hand out a sender for a submit_sm; a request with no usable
  answer raises links' `LinkFailed` (app/links/ports.py), or TimeoutError.
- Webhooks for status callbacks go through the shared `WebhookPoster`
  (app/delivery.py), as MO's webhook deliveries do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from kodeord.app.accounts.ports import Customer
from kodeord.app.jobs import Job, JobStore
from kodeord.domain.dialogs import Dialog
from kodeord.domain.messages import Direction, MessageStatus
from kodeord.domain.numbers import ShortNumber
from kodeord.smpp.pdu import Pdu

# --- records ---------------------------------------------------------------------------


class Origin(StrEnum):
    """Where an MT came from (`messages.origin`); a bind's is `smpp:<system_id>`."""

    API = "api"
    CONSOLE = "console"  # a console user's reply or send
    SMPP = "smpp"
    GATEWAY = "gateway"


def smpp_origin(system_id: str) -> str:
    return f"{Origin.SMPP}:{system_id}"


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A stored message as MT reads it (`direction` tells an MO apart)."""

    id: int
    direction: Direction
    status: MessageStatus
    customer_id: int | None
    number: str | None
    sender: str
    recipient: str
    text: str
    segments: int
    price_ore: int | None
    reference: str | None
    callback_url: str | None
    expires_at: datetime | None
    origin: str | None  # an Origin, or smpp_origin(system_id)
    wants_receipt: bool
    received_at: datetime

    @property
    def smpp_system_id(self) -> str | None:
        """The customer's SMPP account it came over, if it came over SMPP."""
        scheme, _, system_id = (self.origin or "").partition(":")
        return system_id if scheme == Origin.SMPP else None


@dataclass(frozen=True, slots=True)
class NewOutboundMessage:
    """An MT to store, status `queued`."""

    customer_id: int | None
    number: str
    recipient: str
    text: str
    keyword: str | None
    data_coding: int
    encoding: str
    segments: int
    price_ore: int | None
    reference: str | None
    callback_url: str | None
    send_at: datetime | None
    expires_at: datetime
    origin: str
    wants_receipt: bool
    received_at: datetime
    route_step: str | None = None
    sender: str | None = None  # the source address when not the number (a dialog ID)


@dataclass(frozen=True, slots=True)
class Part:
    """One submitted part of an MT, with the operator's id for it."""

    id: int
    message_id: int
    seq: int
    link: str | None
    operator_ref: str | None
    status: str


@dataclass(frozen=True, slots=True)
class NewPart:
    message_id: int
    seq: int
    link: str
    operator_ref: str | None
    submitted_at: datetime
    status: MessageStatus = MessageStatus.SENT


@dataclass(frozen=True, slots=True)
class Lease:
    """A customer's active keyword on a number, as the sender checks see it."""

    keyword: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OwnLimit:
    """A customer's own sending limit; None where the gateway's default applies."""

    send_rate_per_second: float | None
    send_burst: int | None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    message_id: int
    status: MessageStatus
    detail: str | None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """A stored message of either direction, as the API shows it."""

    id: int
    direction: Direction
    status: MessageStatus
    customer_id: int | None
    number: str | None
    recipient: str
    sender: str
    text: str
    body: str | None
    keyword: str | None
    lease_id: int | None
    route_step: str | None
    destination: dict[str, object] | None  # the route it was delivered to, as stored
    encoding: str
    segments: int
    received_at: datetime
    routed_at: datetime | None
    delivered_at: datetime | None
    price_ore: int | None
    reference: str | None
    send_at: datetime | None
    expires_at: datetime | None
    origin: str | None
    error: str | None
    erased_at: datetime | None  # retention erased its text and phone number then


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One delivery attempt of an MO."""

    attempt: int
    destination: str
    target: str | None
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float
    at: datetime


@dataclass(frozen=True, slots=True)
class RecentAttempt:
    """A delivery attempt with the message it delivered (a route's last deliveries)."""

    message_id: int
    attempt: AttemptRecord


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One entry of an MT's status history."""

    status: str
    detail: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class MessageFilter:
    """Which messages a list shows: newest first, `limit` of them, before `before_id`."""

    customer_id: int | None
    admin: bool
    direction: str | None
    keyword: str | None
    number: str | None
    since: datetime | None
    until: datetime | None
    limit: int
    before_id: int | None


# --- repositories ------------------------------------------------------------------------


class MtMessageStore(Protocol):
    async def insert(self, messages: Sequence[NewOutboundMessage]) -> list[int]: ...

    async def delete(self, message_id: int) -> None:
        """The message and its history (a gateway SMS that turned out a duplicate)."""
        ...

    async def get(self, message_id: int) -> OutboundMessage | None: ...

    async def get_many(self, ids: Sequence[int]) -> dict[int, OutboundMessage]: ...

    async def set_statuses(
        self,
        ids: Sequence[int],
        status: MessageStatus,
        only_from: Sequence[MessageStatus],
        *,
        error: str | None,
        delivered_at: datetime | None,
    ) -> set[int]:
        """Move the messages that are in one of `only_from`; the ids that moved."""
        ...

    async def add_events(self, events: Sequence[StatusEvent], at: datetime) -> None: ...

    async def opted_out(self, number: str, phones: Sequence[str]) -> set[str]:
        """Which of the phones sent STOPP to the number."""
        ...


class PartStore(Protocol):
    async def parts_of(self, message_id: int) -> list[Part]: ...

    async def parts_of_many(self, ids: Sequence[int]) -> dict[int, list[Part]]: ...

    async def add(self, parts: Sequence[NewPart]) -> None: ...

    async def by_operator_ref(self, refs: Sequence[str], link: str | None) -> Part | None:
        """The part the operator knows by one of `refs` (on `link` when several match)."""
        ...

    async def set_status(self, part_id: int, status: MessageStatus, done_at: datetime) -> None: ...


class DialogStore(Protocol):
    """Dialog IDs (`tx.dialogs`): domain/dialogs.py has the rules, app/mt/dialogs.py uses them."""

    async def enabled(self, number: str) -> bool: ...

    async def of_phone(self, number: str, customer_id: int, phone: str) -> Dialog | None: ...

    async def held(self, number: str, since: datetime) -> set[str]: ...

    async def longer_numbers(self, number: str) -> list[str]: ...

    async def take(self, dialog: Dialog, now: datetime, free_before: datetime) -> bool: ...

    async def extend(self, number: str, subnumber: str, expires_at: datetime) -> None: ...


class NumberLookup(Protocol):
    """The short numbers (keywords' `tx.numbers`), only to find one."""

    async def get(self, number: str) -> ShortNumber | None: ...


class SenderStore(Protocol):
    """Who may send from a shared number: the customer's active keywords on it."""

    async def active_leases(self, customer_id: int, number: str) -> list[Lease]: ...


class CustomerLookup(Protocol):
    """Customers (accounts' `tx.customers`), only to find one."""

    async def get(self, customer_id: int) -> Customer | None: ...


class SendLimitStore(Protocol):
    async def own_limit(self, customer_id: int) -> OwnLimit | None: ...

    async def set_own_limit(
        self, customer_id: int, rate: float | None, burst: int | None
    ) -> None: ...


class MessageLog(Protocol):
    """Messages of both directions as the API reads them back (`tx.message_log`)."""

    async def page(self, wanted: MessageFilter) -> list[MessageRecord]: ...

    async def get(self, message_id: int) -> MessageRecord | None: ...

    async def attempts_of(self, message_id: int) -> list[AttemptRecord]: ...

    async def events_of(self, message_id: int) -> list[EventRecord]: ...

    async def recent_attempts(
        self, customer_id: int, lease_id: int | None, limit: int
    ) -> list[RecentAttempt]:
        """The last delivery attempts of the customer's messages of the lease (None: of
        no lease, i.e. those its default route took), newest first."""
        ...


class SettingsStore(Protocol):
    """What customers and the admin set (`tx.customer_settings`)."""

    async def set_routing(
        self,
        customer_id: int,
        session_window_minutes: int | None,
        default_route: Mapping[str, object] | None,
    ) -> None: ...

    async def set_default_route(
        self, customer_id: int, default_route: Mapping[str, object] | None
    ) -> None:
        """Set the default route only (the session window stays)."""
        ...

    async def default_route(self, customer_id: int) -> dict[str, object] | None: ...

    async def set_signing_secret(self, customer_id: int, sealed: str, now: datetime) -> None: ...

    async def number(self, number: str) -> dict[str, object]:
        """help_text, reply_unknown, reply_language and dialog_ids (defaults if unset)."""
        ...

    async def set_number(
        self,
        number: str,
        help_text: str | None,
        reply_unknown: bool,
        reply_language: str = "nb",
        dialog_ids: bool = False,
    ) -> None: ...


class MtTx(Protocol):
    @property
    def mt_messages(self) -> MtMessageStore: ...

    @property
    def mt_parts(self) -> PartStore: ...

    @property
    def mt_senders(self) -> SenderStore: ...

    @property
    def numbers(self) -> NumberLookup: ...

    @property
    def send_limits(self) -> SendLimitStore: ...

    @property
    def customers(self) -> CustomerLookup: ...

    @property
    def jobs(self) -> JobStore: ...

    @property
    def dialogs(self) -> DialogStore: ...


# --- links, webhooks, secrets -----------------------------------------------------------


class LinkSender(Protocol):
    async def submit(self, pdu: Pdu, *, timeout: float | None = None) -> Pdu: ...


class Links(Protocol):
    def choose_named(self) -> tuple[str, LinkSender]:
        """The link to send on now, with its name; raises links' `NoLink` when none."""
        ...


class DeadLetters(Protocol):
    """The durable queue's dead jobs (adapters/queue JobQueue)."""

    async def list_dead(self, limit: int = 100, offset: int = 0) -> list[Job]: ...

    async def replay(self, job_id: int) -> bool: ...

    async def replay_all(self) -> int: ...
