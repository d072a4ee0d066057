"""The keywords capability's records and names: leases and their words, history events,
claims, brands, reserved words, and the router's read-model facts.

Rules:
- Records are frozen slotted dataclasses that repositories return (never rows); a lease's
  route is a `domain.routes.Route`, stored as its JSON.
- Statuses and actions are StrEnums; the history keeps an event's action as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from kodeord.domain.numbers import ShortNumber
from kodeord.domain.routes import Route
from kodeord.domain.texts import DEFAULT_LANGUAGE, Language

JsonDetail = dict[str, Any]  # an event's detail as stored (JSON)


class LeaseStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RELEASED = "released"


LIVE = frozenset({LeaseStatus.ACTIVE, LeaseStatus.SUSPENDED})  # a lease that holds its words


class LeaseAction(StrEnum):
    """What an event of a lease's history records."""

    LEASED = "leased"
    RELEASED = "released"
    ENDED = "ended"  # at the end of a cancelled term
    FORCE_RELEASED = "force_released"
    RENEWED = "renewed"
    CANCELLED = "cancelled"
    UNCANCELLED = "uncancelled"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    TRANSFERRED = "transferred"
    CLAIM_FILED = "claim_filed"
    CLAIM_REJECTED = "claim_rejected"


class ClaimStatus(StrEnum):
    OPEN = "open"
    TRANSFERRED = "transferred"
    REJECTED = "rejected"


class ClaimDecision(StrEnum):
    """The provider's answer to an open claim."""

    TRANSFER = "transfer"
    REJECT = "reject"


class KeywordTaken(Exception):
    """Another lease took one of the fold keys between our check and our insert (the
    unique (number, fold) constraint said so)."""


# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lease:
    id: int
    number: str
    customer_id: int
    keyword: str
    aliases: tuple[str, ...]
    status: LeaseStatus
    route: Route
    monthly_fee_ore: int
    created_at: datetime
    released_at: datetime | None
    term_ends_at: datetime | None
    cancel_at_term_end: bool
    billed_months: int
    allow_digit_suffix: bool = False

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass(frozen=True, slots=True)
class LeaseKey:
    """One word (keyword or alias) a lease holds on its number."""

    fold: str
    canonical: str


@dataclass(frozen=True, slots=True)
class HeldKey:
    """A word of a live lease, for the keyword index."""

    lease_id: int
    number: str
    canonical: str
    customer_id: int


@dataclass(frozen=True, slots=True)
class LeaseEvent:
    action: str  # a LeaseAction (kept as stored: history is never rewritten)
    actor: str  # "admin", "customer:<id>", "system", "import"
    detail: JsonDetail | None
    at: datetime


@dataclass(frozen=True, slots=True)
class EventMark:
    """An event's id and lease: what the keyword index follows."""

    id: int
    lease_id: int


@dataclass(frozen=True, slots=True)
class NewEvent:
    lease_id: int
    action: LeaseAction
    actor: str
    at: datetime
    detail: JsonDetail | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    id: int
    number: str
    keyword: str
    lease_id: int
    claimant_customer_id: int
    reason: str
    status: ClaimStatus
    note: str | None
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class BrandRecord:
    id: int
    name: str
    holder_customer_id: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReservedWord:
    word: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewLease:
    """A lease to store: keys[0] is the keyword, the rest aliases; with its first term."""

    number: str
    customer_id: int
    keys: tuple[LeaseKey, ...]
    monthly_fee_ore: int
    route: Route
    created_at: datetime
    term_ends_at: datetime | None = None


# --- the router's read model ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoutedNumber:
    """A short number with its routing settings."""

    number: ShortNumber
    help_text: str | None
    reply_unknown: bool
    reply_language: Language = DEFAULT_LANGUAGE


@dataclass(frozen=True, slots=True)
class RoutedKey:
    """A word held on a number, with its lease as the router needs it."""

    fold: str
    canonical: str
    lease_id: int
    customer_id: int
    keyword: str
    status: LeaseStatus
    allow_digit_suffix: bool
    route: Mapping[str, Any]  # as stored (route.to_json())


@dataclass(frozen=True, slots=True)
class DialogHolder:
    customer_id: int
    lease_id: int | None
