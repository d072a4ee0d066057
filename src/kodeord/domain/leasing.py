"""Leasing rules: whether a customer may rent a keyword on a short number.

The decision is pure data. The caller gathers the facts (the number, who holds which
fold keys on it, the reserved words) and `check_availability` answers with every
reason that blocks the lease, so an API can show them all at once:

- `invalid`: the keyword is not registrable (see `keywords.invalid_reason`);
- `reserved`: STOPP, HJELP and the like, or a word on the provider's list (compared
  by canonical key and by fold, so `STØPP` cannot sneak past `STOPP`);
- `dedicated_number`: the number belongs to another customer;
- `taken`: the keyword, or another with the same fold, is already held on the number.

Aliases are extra keywords of the same lease; each passes the same checks, and they
may not repeat each other.

`domain.availability.check` adds `confusable` and `protected`, the `similar` and
`sounds_like` warnings and suggestions on top of these, from the in-memory keyword
index (`domain.registry_index`); `check_availability` here stays the smaller check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from kodeord.domain.keywords import BUILTIN_RESERVED, NormalisedKeyword, fold_key, invalid_reason
from kodeord.domain.keywords import normalise as normalise_keyword
from kodeord.domain.numbers import NumberMode, ShortNumber


class ReasonCode(StrEnum):
    INVALID = "invalid"
    RESERVED = "reserved"
    DEDICATED_NUMBER = "dedicated_number"
    TAKEN = "taken"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"  # released lately; only its last holder may take it back
    CONFUSABLE = "confusable"  # looks like another customer's keyword here (`lookalike`)
    PROTECTED = "protected"  # equals, looks like or contains a protected brand


class WarningCode(StrEnum):
    """Shown with the answer (`Availability.warnings`); they never block the lease."""

    SIMILAR = "similar"  # within the length-scaled edit allowance of a keyword here
    SOUNDS_LIKE = "sounds_like"  # the same Norwegian sound key as a keyword here


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    message: str
    keyword: str  # the canonical keyword the reason is about (a lease may carry aliases)
    near: str | None = None  # the keyword or brand it clashes with (never its holder)


@dataclass(frozen=True, slots=True)
class KeywordWarning:
    code: WarningCode
    message: str
    keyword: str  # the canonical keyword checked
    near: str  # the keyword on the number it is near (never who holds it)
    distance: int | None = None  # edits apart, for `similar`


@dataclass(frozen=True, slots=True)
class Availability:
    keyword: str
    fold: str
    reasons: tuple[Reason, ...]
    monthly_fee_ore: int
    warnings: tuple[KeywordWarning, ...] = ()
    suggestions: tuple[str, ...] = ()  # available alternatives when `reasons` block

    @property
    def available(self) -> bool:
        return not self.reasons


class ReservedWords:
    """The built-in reserved words plus the provider's own list, by canonical and fold."""

    def __init__(self, provider_words: Iterable[str] = ()) -> None:
        canonicals = set(BUILTIN_RESERVED)
        canonicals.update(normalise_keyword(word).canonical for word in provider_words)
        self._folds = {fold_key(word) for word in canonicals if word}

    def __contains__(self, keyword: NormalisedKeyword) -> bool:
        return keyword.fold in self._folds


# Looks up who holds a fold key on the number: the holder's customer id, or None.
HolderLookup = Callable[[str], int | None]


def check_keyword(
    raw: str,
    number: ShortNumber,
    customer_id: int,
    reserved: ReservedWords,
    holder_of: HolderLookup,
) -> tuple[NormalisedKeyword, list[Reason]]:
    """Every reason that blocks `customer_id` from leasing `raw` on `number`."""
    keyword = normalise_keyword(raw)
    shown = keyword.canonical or raw.strip()
    reasons: list[Reason] = []
    problem = invalid_reason(keyword)
    if problem is not None:
        reasons.append(Reason(ReasonCode.INVALID, f"'{shown}' {problem}", shown))
    if keyword.canonical and keyword in reserved:
        message = f"'{shown}' is reserved on every short number"
        reasons.append(Reason(ReasonCode.RESERVED, message, shown))
    if not number.usable_by(customer_id):
        message = f"{number.number} is a dedicated number; only its owner can add keywords"
        reasons.append(Reason(ReasonCode.DEDICATED_NUMBER, message, shown))
    if problem is None:
        holder = holder_of(keyword.fold)
        if holder is not None:
            whose = "you already hold it" if holder == customer_id else "another customer holds it"
            message = f"'{shown}' is taken on {number.number} ({whose})"
            reasons.append(Reason(ReasonCode.TAKEN, message, shown))
    return keyword, reasons


def check_availability(
    raw: str,
    number: ShortNumber,
    customer_id: int,
    reserved: ReservedWords,
    holder_of: HolderLookup,
    aliases: Iterable[str] = (),
) -> Availability:
    """Whether a lease of `raw` (with `aliases`) is possible, with all reasons if not."""
    keyword, reasons = check_keyword(raw, number, customer_id, reserved, holder_of)
    seen = {keyword.fold}
    for alias_raw in aliases:
        alias, alias_reasons = check_keyword(alias_raw, number, customer_id, reserved, holder_of)
        reasons.extend(r for r in alias_reasons if r.code is not ReasonCode.DEDICATED_NUMBER)
        if alias.fold in seen and alias.canonical:
            message = f"alias '{alias.canonical}' repeats another keyword of this lease"
            reasons.append(Reason(ReasonCode.DUPLICATE, message, alias.canonical))
        seen.add(alias.fold)
    fee = number.keyword_fee_for(customer_id) if number.mode is NumberMode.SHARED else 0
    return Availability(keyword.canonical, keyword.fold, tuple(reasons), fee)
