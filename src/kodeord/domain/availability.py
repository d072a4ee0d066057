"""The full availability check of a keyword on a short number: blocks, warnings, ideas.

`check` answers with an `Availability` (domain.leasing) whose `reasons` block the lease:

- `invalid`, `reserved`, `dedicated_number`, `taken`: as `leasing.check_keyword` decides;
- `confusable`: the word looks like another customer's keyword on the number (the same
  `lookalike.skeleton`, a different fold): `P1ZZA`, `pizzaa`, `РIZZА` next to `PIZZA`.
  The customer's own lookalikes do not block;
- `protected`: the word equals, looks like, or contains (brands of 3+ characters) a
  protected brand, on any number, unless the customer holds that brand.

and whose `warnings` do not:

- `similar`: keywords on the number within the length-scaled edit allowance
  (`similarity.allowed_distance`, by fold), nearest first;
- `sounds_like`: keywords with the same Norwegian sound key (`lookalike.sound_key`).

A warning names the keyword it is near, never who holds it, and a keyword that already
blocks (taken, confusable) is not repeated as a warning; at most `MAX_WARNINGS` of each
kind are given. Warnings are left out on another customer's dedicated number.
`confusable`, `protected` and the warnings are also given for a word refused only for its
letters (`РIZZА` in Cyrillic is `invalid` and `confusable`), not for a word of the wrong
shape (two words, too short or too long).

When the word is blocked for any reason but `invalid` and `dedicated_number`, `suggestions`
holds up to five available alternatives, tried in this order and kept when nothing
blocks them and they fit 16 characters: the word + the short number (`PIZZA2077`), the
word + BUD, NO, TILBUD, KLUBB, INFO, NETT, BUTIKK, the word + a digit 2–9 (1 looks like
I and L), and MIN + the word.

Aliases are checked like the keyword (without suggestions), and may not repeat it or
each other (`duplicate`), as in `leasing.check_availability`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kodeord.domain.keywords import MAX_LENGTH, MIN_LENGTH, NormalisedKeyword
from kodeord.domain.leasing import (
    Availability,
    KeywordWarning,
    Reason,
    ReasonCode,
    ReservedWords,
    WarningCode,
    check_keyword,
)
from kodeord.domain.lookalike import skeleton, sound_key
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.registry_index import BrandLookup, BrandMatch, KeywordLookup

MAX_WARNINGS = 10  # of each kind
MAX_SUGGESTIONS = 5
SUGGESTION_SUFFIXES = ("BUD", "NO", "TILBUD", "KLUBB", "INFO", "NETT", "BUTIKK")
SUGGESTION_DIGITS = "23456789"
SUGGESTION_PREFIX = "MIN"

_NO_SUGGESTIONS = {ReasonCode.INVALID, ReasonCode.DEDICATED_NUMBER}
_BRAND_VERB = {"equal": "is", "lookalike": "looks like", "contains": "contains"}


class _Facts:
    """What one check knows: the number, the customer, and where to look things up."""

    __slots__ = ("brands", "customer_id", "keywords", "number", "reserved")

    def __init__(
        self,
        number: ShortNumber,
        customer_id: int,
        keywords: KeywordLookup,
        brands: BrandLookup,
        reserved: ReservedWords,
    ) -> None:
        self.number = number
        self.customer_id = customer_id
        self.keywords = keywords
        self.brands = brands
        self.reserved = reserved

    def holder_of(self, fold: str) -> int | None:
        entry = self.keywords.holder(fold)
        return None if entry is None else entry.customer_id


def check(
    raw: str,
    number: ShortNumber,
    customer_id: int,
    keywords: KeywordLookup,
    brands: BrandLookup,
    reserved: ReservedWords,
    aliases: Iterable[str] = (),
) -> Availability:
    """Whether `customer_id` may lease `raw` (with `aliases`) on `number`, and what is near."""
    facts = _Facts(number, customer_id, keywords, brands, reserved)
    keyword, reasons = _blocks(raw, facts)
    warnings = _warnings(keyword, reasons, facts)
    seen = {keyword.fold}
    for alias_raw in aliases:
        alias, alias_reasons = _blocks(alias_raw, facts)
        reasons.extend(r for r in alias_reasons if r.code is not ReasonCode.DEDICATED_NUMBER)
        warnings.extend(_warnings(alias, alias_reasons, facts))
        if alias.fold in seen and alias.canonical:
            message = f"alias '{alias.canonical}' repeats another keyword of this lease"
            reasons.append(Reason(ReasonCode.DUPLICATE, message, alias.canonical))
        seen.add(alias.fold)
    suggestions: tuple[str, ...] = ()
    if reasons and not any(r.code in _NO_SUGGESTIONS for r in reasons):
        suggestions = tuple(_suggestions(keyword.canonical, facts))
    fee = number.keyword_fee_for(customer_id) if number.mode is NumberMode.SHARED else 0
    return Availability(
        keyword.canonical, keyword.fold, tuple(reasons), fee, tuple(warnings), suggestions
    )


def _comparable(keyword: NormalisedKeyword) -> bool:
    """A single word of a leasable length: compared with others even if its letters
    are refused (so a Cyrillic lookalike hears both `invalid` and `confusable`)."""
    return keyword.alone and MIN_LENGTH <= len(keyword.canonical) <= MAX_LENGTH


def _blocks(raw: str, facts: _Facts) -> tuple[NormalisedKeyword, list[Reason]]:
    keyword, reasons = check_keyword(
        raw, facts.number, facts.customer_id, facts.reserved, facts.holder_of
    )
    if _comparable(keyword):
        reasons.extend(_clashes(keyword, facts))
    return keyword, reasons


def _clashes(keyword: NormalisedKeyword, facts: _Facts) -> Iterator[Reason]:
    """`confusable` and `protected` reasons for one word."""
    shown, fold, key = keyword.canonical, keyword.fold, skeleton(keyword.canonical)
    for entry in facts.keywords.lookalikes(key):
        if entry.fold != fold and entry.customer_id != facts.customer_id:
            message = (
                f"'{shown}' looks like '{entry.canonical}', "
                f"another customer's keyword on {facts.number.number}"
            )
            yield Reason(ReasonCode.CONFUSABLE, message, shown, entry.canonical)
    named: set[str] = set()
    for match in facts.brands.matching(shown):
        name = match.brand.name
        if match.brand.holder_customer_id != facts.customer_id and name not in named:
            named.add(name)
            yield Reason(ReasonCode.PROTECTED, _brand_message(shown, match), shown, name)


def _brand_message(shown: str, match: BrandMatch) -> str:
    verb = _BRAND_VERB[match.how]
    return f"'{shown}' {verb} the protected name '{match.brand.name}'"


def _warnings(
    keyword: NormalisedKeyword, reasons: list[Reason], facts: _Facts
) -> list[KeywordWarning]:
    """`similar` and `sounds_like` warnings: keywords near this one on the number."""
    if not _comparable(keyword) or not facts.number.usable_by(facts.customer_id):
        return []
    shown, fold = keyword.canonical, keyword.fold
    blocking = {r.near for r in reasons if r.code is ReasonCode.CONFUSABLE}
    warnings = []
    similar = [n for n in facts.keywords.similar(fold) if n.entry.canonical not in blocking]
    for near in similar[:MAX_WARNINGS]:
        edits = "edit" if near.distance == 1 else "edits"
        message = f"'{shown}' is {near.distance} {edits} from '{near.entry.canonical}'"
        warnings.append(
            KeywordWarning(WarningCode.SIMILAR, message, shown, near.entry.canonical, near.distance)
        )
    sounding = [
        e
        for e in facts.keywords.sounding_like(sound_key(shown))
        if e.fold != fold and e.canonical not in blocking
    ]
    for entry in sounding[:MAX_WARNINGS]:
        message = f"'{shown}' sounds like '{entry.canonical}'"
        warnings.append(KeywordWarning(WarningCode.SOUNDS_LIKE, message, shown, entry.canonical))
    return warnings


def suggestion_candidates(canonical: str, number: str) -> Iterator[str]:
    """The alternatives to try for a blocked keyword, in order (see the module rules)."""
    yield canonical + number
    for suffix in SUGGESTION_SUFFIXES:
        yield canonical + suffix
    for digit in SUGGESTION_DIGITS:
        yield canonical + digit
    yield SUGGESTION_PREFIX + canonical


def _suggestions(canonical: str, facts: _Facts) -> Iterator[str]:
    given = 0
    for candidate in suggestion_candidates(canonical, facts.number.number):
        if len(candidate) > MAX_LENGTH:
            continue
        _, reasons = _blocks(candidate, facts)
        if not reasons:
            yield candidate
            given += 1
            if given == MAX_SUGGESTIONS:
                return
