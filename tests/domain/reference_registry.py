"""The brute-force reference of `registry_index`: every question answered by a scan over
all keywords and brands, straight from the rules, for the property tests to compare with."""

from __future__ import annotations

from kodeord.domain.keywords import fold_key
from kodeord.domain.lookalike import skeleton, sound_key
from kodeord.domain.registry_index import (
    MIN_CONTAINED_BRAND,
    Brand,
    BrandMatch,
    KeywordEntry,
    NearKeyword,
    brand_keys,
)
from kodeord.domain.similarity import allowed_distance, osa_distance


class ScanKeywords:
    """A `KeywordLookup` that looks at every keyword, every time."""

    def __init__(self) -> None:
        self.entries: list[KeywordEntry] = []

    def add(self, canonical: str, customer_id: int, lease_id: int) -> KeywordEntry:
        if self.holder(fold_key(canonical)) is not None:
            raise ValueError(canonical)
        entry = KeywordEntry(canonical, fold_key(canonical), customer_id, lease_id)
        self.entries.append(entry)
        return entry

    def remove(self, canonical: str) -> KeywordEntry | None:
        entry = self.holder(fold_key(canonical))
        if entry is not None:
            self.entries.remove(entry)
        return entry

    def holder(self, fold: str) -> KeywordEntry | None:
        return next((e for e in self.entries if e.fold == fold), None)

    def lookalikes(self, skeleton_key: str) -> list[KeywordEntry]:
        found = [e for e in self.entries if skeleton(e.canonical) == skeleton_key]
        return sorted(found, key=lambda e: e.canonical)

    def sounding_like(self, sound: str) -> list[KeywordEntry]:
        found = [e for e in self.entries if sound_key(e.canonical) == sound]
        return sorted(found, key=lambda e: e.canonical)

    def similar(self, fold: str) -> list[NearKeyword]:
        near = []
        for entry in self.entries:
            distance = osa_distance(fold, entry.fold)
            if entry.fold != fold and distance <= allowed_distance(min(len(fold), len(entry.fold))):
                near.append(NearKeyword(entry, distance))
        return sorted(near, key=lambda n: (n.distance, n.entry.canonical))


class ScanBrands:
    """A `BrandLookup` that looks at every brand, every time."""

    def __init__(self, brands: list[Brand]) -> None:
        self.brands = brands

    def matching(self, canonical: str) -> list[BrandMatch]:
        forms = {skeleton(canonical), skeleton(canonical, pairs=False)}
        found = []
        for brand in self.brands:
            brand_fold = fold_key("".join(ch for ch in brand.name.upper() if ch.isalnum()))
            if skeleton(brand.name) == skeleton(canonical):
                how = "equal" if brand_fold == fold_key(canonical) else "lookalike"
                found.append(BrandMatch(brand, how))
            elif any(
                part in form
                for part in brand_keys(brand.name)
                if len(part) >= MIN_CONTAINED_BRAND
                for form in forms
            ):
                found.append(BrandMatch(brand, "contains"))
        return sorted(found, key=lambda m: (m.brand.name, m.brand.holder_customer_id))
