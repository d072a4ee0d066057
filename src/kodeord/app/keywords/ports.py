"""The keywords capability's ports: the unit of work leasing, lifecycle, import and the
router's registry see, and its repositories.

Rules:
- `KeywordsTx` is what a keywords use case gets from `ctx.storage`; the SQL adapter's
  transaction (adapters/db/tx.py) implements it; customers are accounts' (`tx.customers`).
  `RegistryTx` is what the router's read model sees.
- The records they return are in records.py (frozen dataclasses, StrEnums).
- Repositories never commit and never decide: the rules stay in app/keywords and domain/.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from kodeord.app.accounts.ports import CustomerStore
from kodeord.app.keywords.records import (
    BrandRecord,
    Claim,
    ClaimStatus,
    DialogHolder,
    EventMark,
    HeldKey,
    Lease,
    LeaseEvent,
    LeaseKey,
    LeaseStatus,
    NewEvent,
    NewLease,
    ReservedWord,
    RoutedKey,
    RoutedNumber,
)
from kodeord.domain.numbers import ShortNumber
from kodeord.domain.routes import Route
from kodeord.domain.texts import Language, TextKey

# --- repositories ------------------------------------------------------------------------


class NumberStore(Protocol):
    async def get(self, number: str) -> ShortNumber | None: ...

    async def add(self, number: ShortNumber, now: datetime) -> bool:
        """Store a new number; False when it exists already."""
        ...

    async def all(self, usable_by: int | None = None) -> list[ShortNumber]:
        """All numbers, or those a customer may use (shared ones and its dedicated ones)."""
        ...


class ReservedWordStore(Protocol):
    async def all(self) -> list[ReservedWord]: ...

    async def add(self, word: str, now: datetime) -> bool:
        """False when the word is on the list already."""
        ...

    async def remove(self, word: str) -> bool: ...


class LeaseStore(Protocol):
    async def get(self, lease_id: int) -> Lease | None: ...

    async def all(self, customer_id: int | None, include_released: bool) -> list[Lease]: ...

    async def add(self, lease: NewLease) -> int:
        """Store an active lease and its keys; its id. Raises KeywordTaken when a fold
        key was taken meanwhile."""
        ...

    async def add_many(self, leases: Sequence[NewLease]) -> list[int]:
        """Store many leases and their keys in a few statements (the import); ids in
        order. The caller checked every key first."""
        ...

    async def holders(self, number: str, folds: Sequence[str]) -> dict[str, int]:
        """Which customer holds each of these fold keys on the number."""
        ...

    async def all_holders(self) -> dict[tuple[str, str], int]:
        """(number, fold) → customer, for every word held anywhere."""
        ...

    async def lease_holding(self, number: str, fold: str) -> int | None:
        """The id of the lease that holds the fold key on the number."""
        ...

    async def keys(self, lease_id: int) -> list[LeaseKey]: ...

    async def held_keys(self, lease_ids: Sequence[int] | None) -> list[HeldKey]:
        """The words of live leases (of these leases, or of all)."""
        ...

    async def release(self, lease_id: int, now: datetime) -> None:
        """The lease ends now: its words are free, the lease row stays as history."""
        ...

    async def set_route(self, lease_id: int, route: Route) -> None: ...

    async def set_status(self, lease_id: int, status: LeaseStatus) -> None: ...

    async def set_cancelled(self, lease_id: int, cancelled: bool) -> None: ...

    async def set_holder(self, lease_id: int, customer_id: int, route: Route) -> None: ...

    async def start_term(self, lease_id: int, term_ends_at: datetime) -> None:
        """The first term: one month billed, not cancelled."""
        ...

    async def set_term(
        self, lease_id: int, term_ends_at: datetime, billed_months: int | None = None
    ) -> None: ...

    async def without_term(self) -> list[tuple[int, datetime]]:
        """(id, created_at) of live leases taken before terms existed."""
        ...

    async def due(self, now: datetime) -> list[Lease]:
        """Live leases whose term ended by `now`, locked for this unit of work (those
        another node's housekeeping has locked are skipped)."""
        ...


class QuarantineStore(Protocol):
    async def held_for_others(
        self, number: str, folds: Sequence[str], customer_id: int, now: datetime
    ) -> list[str]:
        """The keywords among `folds` that another customer's quarantine holds."""
        ...

    async def lift(self, number: str, folds: Sequence[str]) -> None: ...

    async def put(
        self, number: str, key: LeaseKey, holder_customer_id: int, until: datetime
    ) -> None:
        """Quarantine the word for its last holder until `until` (replacing any)."""
        ...


class LeaseHistory(Protocol):
    """`keyword_events`: a lease's history, also the keyword index's change feed."""

    async def record(self, events: Sequence[NewEvent]) -> None:
        """Append events. The writer holds the history's lock until its unit of work
        ends, so event ids commit in order and the index, which reads past the last id
        it saw, misses none."""
        ...

    async def of_lease(self, lease_id: int) -> list[LeaseEvent]: ...

    async def last_id(self) -> int: ...

    async def since(self, event_id: int) -> list[EventMark]: ...


class BrandStore(Protocol):
    async def all(self) -> list[BrandRecord]: ...

    async def exists(self, name: str) -> bool: ...

    async def add(
        self, name: str, holder_customer_id: int | None, now: datetime
    ) -> BrandRecord: ...

    async def remove(self, brand_id: int) -> bool: ...


class ClaimStore(Protocol):
    async def get(self, claim_id: int) -> Claim | None: ...

    async def open_claim(self, lease_id: int, claimant_customer_id: int) -> int | None: ...

    async def add(
        self,
        number: str,
        keyword: str,
        lease_id: int,
        claimant_customer_id: int,
        reason: str,
        now: datetime,
    ) -> Claim: ...

    async def all(self, claimant_customer_id: int | None) -> list[Claim]:
        """Newest first; all of them for None."""
        ...

    async def decide(
        self, claim_id: int, status: ClaimStatus, note: str | None, now: datetime
    ) -> None: ...


class KeywordsTx(Protocol):
    @property
    def numbers(self) -> NumberStore: ...

    @property
    def customers(self) -> CustomerStore: ...

    @property
    def reserved_words(self) -> ReservedWordStore: ...

    @property
    def leases(self) -> LeaseStore: ...

    @property
    def quarantine(self) -> QuarantineStore: ...

    @property
    def lease_history(self) -> LeaseHistory: ...

    @property
    def brands(self) -> BrandStore: ...

    @property
    def claims(self) -> ClaimStore: ...

    @property
    def routing_facts(self) -> RoutingFacts: ...


# --- the router's read model --------------------------------------------------------------


class RoutingFacts(Protocol):
    async def numbers(self, candidates: Sequence[str]) -> list[RoutedNumber]: ...

    async def keys_on(self, number: str) -> list[RoutedKey]: ...

    async def texts_on(self, number: str) -> Mapping[tuple[TextKey, Language], str]:
        """The number's own versions of the gateway's texts."""
        ...

    async def dialog_owner(
        self, number: str, subnumber: str, now: datetime
    ) -> DialogHolder | None: ...

    async def any_session_routing(self) -> bool: ...

    async def session_candidates(self, number: str, phone: str, now: datetime) -> list[int]: ...

    async def signing_secrets(self, customer_ids: Sequence[int]) -> dict[int, str]:
        """Customer → signing secret, sealed as stored."""
        ...

    async def default_routes(self, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The default routes the customers set, as stored."""
        ...

    async def suspended_customers(self) -> list[int]:
        """The ids of the customers the provider has suspended."""
        ...


class RegistryTx(Protocol):
    @property
    def routing_facts(self) -> RoutingFacts: ...


class NumberTextStore(Protocol):
    """A number's own versions of the gateway's texts, and its reply language."""

    async def overrides(self, number: str) -> Mapping[tuple[TextKey, Language], str]: ...

    async def language(self, number: str) -> Language: ...

    async def set(
        self, number: str, key: TextKey, language: Language, text: str, now: datetime
    ) -> None: ...

    async def remove(self, number: str, key: TextKey, language: Language) -> bool:
        """Drop the number's version of a text; whether it had one."""
        ...


class TextsTx(Protocol):
    @property
    def numbers(self) -> NumberStore: ...

    @property
    def number_texts(self) -> NumberTextStore: ...
