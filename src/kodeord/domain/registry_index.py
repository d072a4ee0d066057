"""The in-memory keyword index: who holds what on each short number, and what is near it.

An availability check (`domain.availability`) asks four questions about one number and
one about all numbers; this module answers them without looking at every keyword:

- `holder(fold)`: the keyword with this Norwegian fold key (`taken`);
- `lookalikes(skeleton)`: keywords with this lookalike skeleton (`confusable`);
- `sounding_like(sound)`: keywords with this Norwegian sound key (`sounds_like`);
- `similar(fold)`: keywords whose fold is within the length-scaled edit allowance of
  `similarity.allowed_distance` (optimal string alignment, by fold), nearest first;
- `Brands.matching(fold, skeleton)`: protected brands the word equals, looks like or
  contains, on any number.

How (`NumberKeywords`, one per short number): every keyword gets an id, and one compact
`StringIdMultimap` maps keys to ids:

- the SymSpell deletion neighbourhood of its fold: every string left after deleting up
  to `allowed_distance(len(fold))` characters (the fold itself included, which answers
  `holder`). Two words within OSA distance d share such a string with at most d
  deletions from each (each edit, a swap included, costs at most one deletion a side),
  so `similar` looks up the query's own deletions and checks the few candidates with
  `osa_within`;
- "\\x01" + its skeleton and "\\x02" + its sound key.

Candidates are always checked against the keyword's own data (the table may return a
stray id), so answers are exact: the property tests compare every query with a scan
over all keywords. Memory is about 4 bytes × 2–4 slots per key, 1 + n + n(n-1)/2 keys
for a fold of n ≥ 6 characters (docs/benchmarks.md has the figure at 1,000,000).
Adding or removing a keyword updates the table in place; when the table is half full
it is rebuilt at twice the size (build at start with `NumberKeywords.build`, which sizes
it once for everything it is given).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from kodeord.domain.hash_multimap import MAX_ID, StringIdMultimap
from kodeord.domain.keywords import fold_key
from kodeord.domain.lookalike import skeleton, sound_key
from kodeord.domain.similarity import allowed_distance, osa_within

# Brands shorter than this (as a skeleton) block only equal words and lookalikes, not
# every word that contains them: a two-letter brand would block half the dictionary.
MIN_CONTAINED_BRAND = 3

_SKELETON = "\x01"
_SOUND = "\x02"


@dataclass(frozen=True, slots=True)
class KeywordEntry:
    """One keyword leased on a number (an alias is an entry of its own, same lease)."""

    canonical: str
    fold: str
    customer_id: int
    lease_id: int


@dataclass(frozen=True, slots=True)
class NearKeyword:
    entry: KeywordEntry
    distance: int


class KeywordLookup(Protocol):
    """What an availability check asks about the keywords on one number."""

    def holder(self, fold: str) -> KeywordEntry | None: ...

    def lookalikes(self, skeleton: str) -> list[KeywordEntry]: ...

    def sounding_like(self, sound: str) -> list[KeywordEntry]: ...

    def similar(self, fold: str) -> list[NearKeyword]: ...


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    holder_customer_id: int


@dataclass(frozen=True, slots=True)
class BrandMatch:
    brand: Brand
    how: str  # "equal" (same fold), "lookalike" (same skeleton) or "contains"


class BrandLookup(Protocol):
    """What an availability check asks about the protected brands (all numbers)."""

    def matching(self, canonical: str) -> list[BrandMatch]: ...


def deletion_neighbourhood(fold: str) -> set[str]:
    """Every string left after deleting up to `allowed_distance(len(fold))` characters."""
    variants = {fold}
    frontier = {fold}
    for _ in range(allowed_distance(len(fold))):
        frontier = {word[:i] + word[i + 1 :] for word in frontier for i in range(len(word))}
        variants |= frontier
    return variants


def _keys_of(canonical: str) -> set[str]:
    keys = deletion_neighbourhood(fold_key(canonical))
    keys.add(_SKELETON + skeleton(canonical))
    keys.add(_SOUND + sound_key(canonical))
    return keys


def _key_bound(canonical: str) -> int:
    """An upper bound of `len(_keys_of(canonical))`, cheap enough for sizing a table."""
    n = len(fold_key(canonical))
    allowance = allowed_distance(n)
    return 3 + (n if allowance >= 1 else 0) + (n * (n - 1) // 2 if allowance >= 2 else 0)


def _by_canonical(entry: KeywordEntry) -> str:
    return entry.canonical


def _by_distance(near: NearKeyword) -> tuple[int, str]:
    return near.distance, near.entry.canonical


class NumberKeywords:
    """The keywords on one short number, indexed for the availability questions."""

    __slots__ = ("_canonical", "_customer", "_free", "_lease", "_table")

    def __init__(self, expected_entries: int = 0) -> None:
        self._table = StringIdMultimap(expected_entries)
        self._canonical: list[str | None] = []
        self._customer = array("q")
        self._lease = array("q")
        self._free: list[int] = []

    @classmethod
    def build(cls, keywords: Iterable[tuple[str, int, int]]) -> NumberKeywords:
        """An index of (canonical, customer_id, lease_id) rows, its table sized once."""
        rows = list(keywords)
        index = cls(sum(_key_bound(canonical) for canonical, _, _ in rows))
        for canonical, customer_id, lease_id in rows:
            index.add(canonical, customer_id, lease_id)
        return index

    def __len__(self) -> int:
        return len(self._canonical) - len(self._free)

    def __iter__(self) -> Iterator[KeywordEntry]:
        for ident, canonical in enumerate(self._canonical):
            if canonical is not None:
                yield self._entry(ident)

    @property
    def table_bytes(self) -> int:
        return self._table.nbytes

    def add(self, canonical: str, customer_id: int, lease_id: int) -> KeywordEntry:
        """Register a keyword (its canonical key); ValueError if its fold is held."""
        fold = fold_key(canonical)
        if self.holder(fold) is not None:
            raise ValueError(f"{canonical} folds to {fold}, which is already held here")
        keys = _keys_of(canonical)
        if self._table.needs_rebuild(len(keys)):
            self._rebuild(len(keys))
        ident = self._new_id(canonical, customer_id, lease_id)
        self._table.add_all(keys, ident)
        return self._entry(ident)

    def remove(self, canonical: str) -> KeywordEntry | None:
        """Forget the keyword with this canonical key's fold; the entry, or None."""
        ident = self._id_of(fold_key(canonical))
        if ident is None:
            return None
        entry = self._entry(ident)
        for key in _keys_of(entry.canonical):
            self._table.remove(key, ident)
        self._canonical[ident] = None
        self._free.append(ident)
        return entry

    def holder(self, fold: str) -> KeywordEntry | None:
        ident = self._id_of(fold)
        return None if ident is None else self._entry(ident)

    def lookalikes(self, skeleton_key: str) -> list[KeywordEntry]:
        found = [
            self._entry(ident)
            for ident in set(self._table.get(_SKELETON + skeleton_key))
            if skeleton(self._canonical_of(ident)) == skeleton_key
        ]
        return sorted(found, key=_by_canonical)

    def sounding_like(self, sound: str) -> list[KeywordEntry]:
        found = [
            self._entry(ident)
            for ident in set(self._table.get(_SOUND + sound))
            if sound_key(self._canonical_of(ident)) == sound
        ]
        return sorted(found, key=_by_canonical)

    def similar(self, fold: str) -> list[NearKeyword]:
        """Keywords within the allowance of `fold` (its own fold excluded), nearest first."""
        candidates: set[int] = set()
        self._table.update_into(deletion_neighbourhood(fold), candidates)
        near = []
        for ident in candidates:
            canonical = self._canonical[ident]
            if canonical is None:
                continue
            other = fold_key(canonical)
            limit = allowed_distance(min(len(fold), len(other)))
            distance = osa_within(fold, other, limit) if other != fold else None
            if distance is not None:
                near.append(NearKeyword(self._entry(ident), distance))
        return sorted(near, key=_by_distance)

    def _id_of(self, fold: str) -> int | None:
        for ident in self._table.get(fold):
            canonical = self._canonical[ident]
            if canonical is not None and fold_key(canonical) == fold:
                return ident
        return None

    def _canonical_of(self, ident: int) -> str:
        canonical = self._canonical[ident]
        return "" if canonical is None else canonical

    def _entry(self, ident: int) -> KeywordEntry:
        canonical = self._canonical_of(ident)
        return KeywordEntry(
            canonical, fold_key(canonical), self._customer[ident], self._lease[ident]
        )

    def _new_id(self, canonical: str, customer_id: int, lease_id: int) -> int:
        if self._free:
            ident = self._free.pop()
            self._canonical[ident] = canonical
            self._customer[ident] = customer_id
            self._lease[ident] = lease_id
            return ident
        ident = len(self._canonical)
        if ident > MAX_ID:
            raise ValueError(f"at most {MAX_ID + 1} keywords fit one number's index")
        self._canonical.append(canonical)
        self._customer.append(customer_id)
        self._lease.append(lease_id)
        return ident

    def _rebuild(self, more: int) -> None:
        """A table twice the size for the live keywords plus `more` keys to come."""
        table = StringIdMultimap(2 * (len(self._table) + more))
        for ident, canonical in enumerate(self._canonical):
            if canonical is not None:
                table.add_all(_keys_of(canonical), ident)
        self._table = table


def brand_keys(name: str) -> set[str]:
    """The forms of a name that containment looks for: its skeleton with and without
    the letter-pair rule (`lookalike.skeleton`)."""
    return {skeleton(name), skeleton(name, pairs=False)}


class Brands:
    """Protected brand names and their holders. A word may not equal or look like one
    (the same skeleton), nor contain one of `MIN_CONTAINED_BRAND`+ characters (one of
    `brand_keys` inside one of the word's), unless its customer is the holder."""

    __slots__ = ("_by_part", "_by_skeleton", "_lengths")

    def __init__(self, brands: Iterable[Brand] = ()) -> None:
        self._by_skeleton: dict[str, list[Brand]] = {}
        self._by_part: dict[str, list[Brand]] = {}
        self._lengths: dict[int, int] = {}  # part length → how many parts have it
        for brand in brands:
            self.add(brand)

    def add(self, brand: Brand) -> None:
        key = skeleton(brand.name)
        if not key:
            raise ValueError(f"brand {brand.name!r} has no letters or digits")
        if brand in self._by_skeleton.get(key, ()):
            return  # a set of brands: adding one twice changes nothing
        self._by_skeleton.setdefault(key, []).append(brand)
        for part in brand_keys(brand.name):
            if len(part) >= MIN_CONTAINED_BRAND:
                self._by_part.setdefault(part, []).append(brand)
                self._lengths[len(part)] = self._lengths.get(len(part), 0) + 1

    def remove(self, brand: Brand) -> None:
        key = skeleton(brand.name)
        if brand not in self._by_skeleton.get(key, []):
            return
        _take(self._by_skeleton, key, brand)
        for part in brand_keys(brand.name):
            if len(part) >= MIN_CONTAINED_BRAND:
                _take(self._by_part, part, brand)
                self._lengths[len(part)] -= 1
                if not self._lengths[len(part)]:
                    del self._lengths[len(part)]

    def __iter__(self) -> Iterator[Brand]:
        for brands in self._by_skeleton.values():
            yield from brands

    def matching(self, canonical: str) -> list[BrandMatch]:
        """Brands the word equals, looks like or contains, by brand name."""
        fold, key = fold_key(canonical), skeleton(canonical)
        found = {}
        for brand in self._by_skeleton.get(key, ()):
            found[brand] = "equal" if fold_key(_brand_canonical(brand)) == fold else "lookalike"
        for form in {key, skeleton(canonical, pairs=False)}:
            for length in self._lengths:
                for i in range(len(form) - length + 1):
                    for brand in self._by_part.get(form[i : i + length], ()):
                        found.setdefault(brand, "contains")
        matches = [BrandMatch(brand, how) for brand, how in found.items()]
        return sorted(matches, key=_brand_order)


def _take(index: dict[str, list[Brand]], key: str, brand: Brand) -> None:
    held = index[key]
    held.remove(brand)
    if not held:
        del index[key]


def _brand_canonical(brand: Brand) -> str:
    return "".join(ch for ch in brand.name.upper() if ch.isalnum())


def _brand_order(match: BrandMatch) -> tuple[str, int]:
    return match.brand.name, match.brand.holder_customer_id


class KeywordRegistry:
    """Every number's `NumberKeywords` and the protected brands, kept together."""

    __slots__ = ("_numbers", "brands")

    def __init__(self, brands: Iterable[Brand] = ()) -> None:
        self._numbers: dict[str, NumberKeywords] = {}
        self.brands = Brands(brands)

    def keywords_on(self, number: str) -> NumberKeywords:
        """The index of one number (an empty one, not kept, for a number without any)."""
        return self._numbers.get(number) or NumberKeywords()

    def load(self, number: str, keywords: Iterable[tuple[str, int, int]]) -> None:
        """Replace a number's index with (canonical, customer_id, lease_id) rows."""
        self._numbers[number] = NumberKeywords.build(keywords)

    def add(self, number: str, canonical: str, customer_id: int, lease_id: int) -> KeywordEntry:
        keywords = self._numbers.setdefault(number, NumberKeywords())
        return keywords.add(canonical, customer_id, lease_id)

    def remove(self, number: str, canonical: str) -> KeywordEntry | None:
        keywords = self._numbers.get(number)
        return None if keywords is None else keywords.remove(canonical)
