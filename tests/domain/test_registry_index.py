"""The full availability check as a table of cases, and the keyword index against a
brute-force scan (tests/domain/reference_registry.py): the same answers, always."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kodeord.domain.availability import check, suggestion_candidates
from kodeord.domain.keywords import fold_key
from kodeord.domain.leasing import Availability, ReasonCode, ReservedWords
from kodeord.domain.lookalike import skeleton, sound_key
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.registry_index import (
    Brand,
    Brands,
    KeywordRegistry,
    NumberKeywords,
    deletion_neighbourhood,
)
from tests.domain.reference_registry import ScanBrands, ScanKeywords

S = ShortNumber("2077", NumberMode.SHARED, None, False, 0, 0, 1000)
N2 = ShortNumber("2088", NumberMode.SHARED, None, False, 0, 0, 1000)
D = ShortNumber("1963", NumberMode.DEDICATED, 7, True, 850000, 1000000, 1000)
HELD = {
    "2077": [
        ("PIZZA", 1),
        ("BLÅBÆR", 1),
        ("TAXI", 2),
        ("HVITVIN", 3),
        ("SUSHIBAR", 4),
        ("KAFFE", 3),
        ("KJØKKEN", 2),
        ("SKIBUTIKK", 4),
        ("CORNER", 5),
        ("WINTER", 5),
        ("SOLO", 2),
        ("JEST", 3),
    ],
    "2088": [("KINO", 6)],
    "1963": [("JAZZ", 7)],
}
BRANDS = [Brand("TELENOR", 9), Brand("DNB", 8), Brand("VG", 10), Brand("Coca-Cola", 11)]
RESERVED = ReservedWords(["KAMPANJE"])


def _registry() -> KeywordRegistry:
    registry = KeywordRegistry(BRANDS)
    lease = 0
    for number, rows in HELD.items():
        for canonical, customer in rows:
            lease += 1
            registry.add(number, canonical, customer, lease)
    return registry


REGISTRY = _registry()


def _check(number: ShortNumber, customer: int, word: str) -> Availability:
    keywords = REGISTRY.keywords_on(number.number)
    return check(word, number, customer, keywords, REGISTRY.brands, RESERVED)


# category, number, customer, word, blocking reason codes, warnings as (code, near keyword)
CASES: list[tuple[str, ShortNumber, int, str, list[str], list[tuple[str, str]]]] = [
    ("taken", S, 2, "PIZZA", ["taken"], []),
    ("taken", S, 2, "pizza", ["taken"], []),
    ("taken", S, 2, " Pizza!", ["taken"], []),
    ("taken", S, 1, "PIZZA", ["taken"], []),  # the caller's own keyword: still taken
    ("taken", S, 1, "taxi", ["taken"], []),
    ("taken", S, 2, "ＰＩＺＺＡ", ["taken"], []),  # fullwidth is PIZZA after NFKC
    ("taken", D, 7, "jazz", ["taken"], []),
    ("taken", N2, 2, "PIZZA", [], []),  # other numbers' keywords do not matter
    ("fold", S, 2, "BLAABAER", ["taken"], []),
    ("fold", S, 2, "blabaer", ["taken"], []),
    ("fold", S, 2, "Blåbær", ["taken"], []),
    ("fold", S, 2, "pizzaa", ["taken"], []),  # AA folds to A
    ("fold", S, 2, "KJOKKEN", ["taken"], []),
    ("fold", S, 2, "KJOEKKEN", ["taken"], []),
    ("fold", S, 2, "kjøkken", ["taken"], []),
    ("fold", S, 2, "KJÖKKEN", ["invalid"], []),  # Ö is refused; it folds like KJØKKEN
    ("confusable", S, 2, "P1ZZA", ["confusable"], []),
    ("confusable", S, 2, "PlZZA", ["confusable"], []),  # l looks like I
    ("confusable", S, 2, "PIZZZA", ["confusable"], []),  # doubled letters collapse
    ("confusable", S, 2, "PIZA", ["confusable"], []),
    ("confusable", S, 2, "РIZZА", ["invalid", "confusable"], []),  # Cyrillic Р and А
    ("confusable", S, 2, "ΡΙΖΖΑ", ["invalid", "confusable"], []),  # Greek
    ("confusable", S, 2, "COMER", ["confusable"], []),  # rn looks like m: CORNER
    ("confusable", S, 2, "VVINTER", ["confusable"], []),  # vv looks like w: WINTER
    ("confusable", S, 1, "S0L0", ["confusable"], []),
    ("confusable", S, 1, "5OLO", ["confusable"], []),
    ("confusable", S, 2, "SUSH1BAR", ["confusable"], []),
    ("confusable", S, 2, "KAFE", ["confusable"], []),
    ("confusable", S, 2, "HVITTVIN", ["confusable"], []),
    ("confusable", S, 2, "TAX1", [], [("similar", "TAXI")]),  # own lookalike: no block
    ("confusable", S, 2, "P1ZZ4", [], []),  # 4 for A is leetspeak, not a lookalike
    ("protected", S, 2, "TELENOR", ["protected"], []),
    ("protected", S, 9, "telenor", [], []),  # the brand's holder
    ("protected", S, 2, "TELEN0R", ["protected"], []),
    ("protected", S, 2, "TEIENOR", ["protected"], []),
    ("protected", S, 2, "DNB", ["protected"], []),
    ("protected", S, 2, "VG", ["protected"], []),
    ("protected", S, 2, "COCACOLA", ["protected"], []),
    ("protected", S, 2, "C0CAC0LA", ["protected"], []),
    ("protected", D, 7, "TELENOR", ["protected"], []),  # on any number
    ("protected", D, 2, "TELENOR", ["dedicated_number", "protected"], []),
    ("contains", S, 2, "MINTELENOR", ["protected"], []),
    ("contains", S, 2, "TELENORNO", ["protected"], []),  # RN, yet it contains TELENOR
    ("contains", S, 2, "DNBBANK", ["protected"], []),
    ("contains", S, 2, "SUPERDNB", ["protected"], []),
    ("contains", S, 2, "MINTELEN0R", ["protected"], []),
    ("contains", S, 8, "SUPERDNB", [], []),  # the holder may use its brand in a word
    ("contains", S, 2, "VGNETT", [], []),  # two-letter brands are not looked for inside
    ("similar", S, 2, "PIZZAS", [], [("similar", "PIZZA")]),
    ("similar", S, 2, "SUSHIBAD", [], [("similar", "SUSHIBAR")]),
    ("similar", S, 2, "SUSHIBRA", [], [("similar", "SUSHIBAR")]),  # a swap is one edit
    ("similar", S, 2, "SUSIBAR", [], [("similar", "SUSHIBAR")]),
    ("similar", S, 2, "SASHIBOR", [], [("similar", "SUSHIBAR")]),  # 2 edits from 6 chars
    ("similar", S, 2, "TAXO", [], [("similar", "TAXI")]),
    ("similar", S, 2, "TAX", [], [("similar", "TAXI")]),
    ("similar", S, 2, "TA", [], []),  # 2 characters: no edits allowed
    ("similar", S, 2, "PIZZABUD", [], []),  # 3 edits
    ("similar", S, 2, "PIZZERIA", [], []),  # 3 edits; the shorter word allows 1
    ("similar", S, 1, "SOLA", [], [("similar", "SOLO")]),
    ("sounds_like", S, 2, "VITVIN", [], [("similar", "HVITVIN"), ("sounds_like", "HVITVIN")]),
    ("sounds_like", S, 1, "TJØKKEN", [], [("similar", "KJØKKEN"), ("sounds_like", "KJØKKEN")]),
    (
        "sounds_like",
        S,
        2,
        "SJIBUTIKK",
        [],
        [("similar", "SKIBUTIKK"), ("sounds_like", "SKIBUTIKK")],
    ),
    ("sounds_like", N2, 2, "TJINO", [], [("sounds_like", "KINO")]),  # 2 edits from 4: not similar
    ("sounds_like", S, 2, "GJEST", [], [("similar", "JEST"), ("sounds_like", "JEST")]),
    ("sounds_like", S, 2, "CAFFE", [], [("similar", "KAFFE"), ("sounds_like", "KAFFE")]),
    ("reserved", S, 2, "stopp", ["reserved"], []),
    ("reserved", S, 2, "STØPP", ["reserved"], []),
    ("reserved", S, 2, "Hjelp", ["reserved"], []),
    ("reserved", S, 2, "kampanje", ["reserved"], []),  # the provider's own list
    ("reserved", S, 2, "Ja", ["reserved"], []),
    ("reserved", D, 2, "stopp", ["reserved", "dedicated_number"], []),
    ("invalid", S, 2, "a" * 17, ["invalid"], []),
    ("invalid", S, 2, "x", ["invalid"], []),
    ("invalid", S, 2, "two words", ["invalid"], []),
    ("invalid", S, 2, "hvit-vin", ["invalid"], []),
    ("invalid", S, 2, "", ["invalid"], []),
    ("invalid", S, 2, "café", ["invalid"], [("sounds_like", "KAFFE")]),
    ("dedicated", D, 2, "anything", ["dedicated_number"], []),
    ("dedicated", D, 7, "anything", [], []),
    ("dedicated", D, 2, "jazz", ["dedicated_number", "taken"], []),
    ("dedicated", D, 7, "JAZS", [], [("similar", "JAZZ"), ("sounds_like", "JAZZ")]),
    ("dedicated", D, 2, "JAZS", ["dedicated_number"], []),  # no warnings for non-owners
]


@pytest.mark.parametrize(
    ("category", "number", "customer", "word", "codes", "warnings"),
    CASES,
    ids=[f"{c[0]}-{c[1].number}-{c[2]}-{c[3]!r}" for c in CASES],
)
def test_check(
    category: str,
    number: ShortNumber,
    customer: int,
    word: str,
    codes: list[str],
    warnings: list[tuple[str, str]],
) -> None:
    result = _check(number, customer, word)
    assert [r.code.value for r in result.reasons] == codes
    assert [(w.code.value, w.near) for w in result.warnings] == warnings
    assert result.available is (not codes)


def test_table_covers_every_category() -> None:
    categories = {case[0] for case in CASES}
    assert len(CASES) >= 60
    assert categories == {
        "taken",
        "fold",
        "confusable",
        "protected",
        "contains",
        "similar",
        "sounds_like",
        "reserved",
        "invalid",
        "dedicated",
    }


def test_reasons_and_warnings_name_the_keyword_never_the_holder() -> None:
    result = _check(S, 1, "S0L0")  # SOLO is customer 2's
    (reason,) = result.reasons
    assert reason.code is ReasonCode.CONFUSABLE
    assert reason.near == "SOLO"
    assert "2" not in reason.message.replace("2077", "")
    (warning,) = _check(S, 2, "SUSHIBAD").warnings
    assert (warning.near, warning.distance, warning.keyword) == ("SUSHIBAR", 1, "SUSHIBAD")
    assert "4" not in warning.message


# word, customer, suggestions
SUGGESTION_CASES = [
    ("PIZZA", 2, ("PIZZA2077", "PIZZABUD", "PIZZANO", "PIZZATILBUD", "PIZZAKLUBB")),
    ("taxi", 1, ("TAXI2077", "TAXIBUD", "TAXINO", "TAXITILBUD", "TAXIKLUBB")),
    ("STOPP", 2, ("STOPP2077", "STOPPBUD", "STOPPNO", "STOPPTILBUD", "STOPPKLUBB")),
    (
        "SKIBUTIKK",
        2,
        ("SKIBUTIKK2077", "SKIBUTIKKBUD", "SKIBUTIKKNO", "SKIBUTIKKTILBUD", "SKIBUTIKKKLUBB"),
    ),
    ("TELENOR", 2, ()),  # every candidate still contains the brand
    ("SUSHI", 2, ()),  # available: nothing to suggest
    ("x", 2, ()),  # invalid: no guess
]


@pytest.mark.parametrize(("word", "customer", "suggestions"), SUGGESTION_CASES)
def test_suggestions(word: str, customer: int, suggestions: tuple[str, ...]) -> None:
    assert _check(S, customer, word).suggestions == suggestions


def test_suggestions_skip_what_is_blocked() -> None:
    registry = KeywordRegistry()
    for lease, canonical in enumerate(["PIZZA", "PIZZA2077", "PIZZABUD", "P1ZZANO"]):
        registry.add("2077", canonical, 1, lease)
    result = check("pizza", S, 2, registry.keywords_on("2077"), registry.brands, RESERVED)
    assert result.suggestions == (
        "PIZZATILBUD",
        "PIZZAKLUBB",
        "PIZZAINFO",
        "PIZZANETT",
        "PIZZABUTIKK",
    )
    for suggestion in result.suggestions:
        again = check(suggestion, S, 2, registry.keywords_on("2077"), registry.brands, RESERVED)
        assert again.available


def test_suggestion_order_is_documented() -> None:
    assert list(suggestion_candidates("VOTE", "2077"))[:3] == ["VOTE2077", "VOTEBUD", "VOTENO"]
    assert list(suggestion_candidates("VOTE", "2077"))[-1] == "MINVOTE"


def test_aliases_are_checked_too() -> None:
    keywords = REGISTRY.keywords_on("2077")
    result = check("SUSHI", S, 2, keywords, REGISTRY.brands, RESERVED, ["P1ZZA", "sushi"])
    assert [r.code.value for r in result.reasons] == ["confusable", "duplicate"]
    assert result.suggestions == ("SUSHI2077", "SUSHIBUD", "SUSHINO", "SUSHITILBUD", "SUSHIKLUBB")


def test_index_add_remove() -> None:
    index = NumberKeywords()
    entry = index.add("BLÅBÆR", 1, 10)
    assert (entry.fold, entry.customer_id, entry.lease_id) == ("BLABAER", 1, 10)
    with pytest.raises(ValueError):
        index.add("BLAABAER", 2, 11)
    assert index.holder("BLABAER") == entry
    assert index.remove("blabaer".upper()) == entry
    assert index.holder("BLABAER") is None and len(index) == 0
    assert index.remove("BLÅBÆR") is None
    assert index.add("BLAABAER", 2, 11).customer_id == 2


def test_index_grows_and_reuses_ids() -> None:
    index, scan = NumberKeywords(), ScanKeywords()
    words = [f"ORD{i}X" for i in range(1200)]
    for i, word in enumerate(words):
        assert index.add(word, i, i) == scan.add(word, i, i)
    for word in words[::2]:
        assert index.remove(word) == scan.remove(word)
    for word in words[::2]:
        assert index.add(word + "Q", 1, 1) == scan.add(word + "Q", 1, 1)
    assert len(index) == 1200
    assert index.holder("ORD1X") is not None and index.holder("ORD0X") is None
    for probe in ["ORD11X", "ORD10XQ", "ORD2X", "ORD999"]:
        assert index.similar(probe) == scan.similar(probe)
        assert index.similar(probe)


def test_build_matches_one_by_one() -> None:
    rows = [(w, i, i) for i, w in enumerate(["PIZZA", "PIZZAS", "SUSHI", "KAFFE", "TAXI"])]
    built = NumberKeywords.build(rows)
    added = NumberKeywords()
    for row in rows:
        added.add(*row)
    for probe in ["PIZZA", "PIZA", "KAFE", "TAXO", "SUSHIS"]:
        assert built.similar(fold_key(probe)) == added.similar(fold_key(probe))
    assert sorted(e.canonical for e in built) == sorted(w for w, _, _ in rows)


def test_deletion_neighbourhood_depth_follows_the_allowance() -> None:
    assert deletion_neighbourhood("AB") == {"AB"}
    assert deletion_neighbourhood("ABC") == {"ABC", "BC", "AC", "AB"}
    assert len(deletion_neighbourhood("ABCDEF")) == 1 + 6 + 15
    assert deletion_neighbourhood("AAAAAA") == {"AAAAAA", "AAAAA", "AAAA"}


def test_brands_add_remove() -> None:
    brands = Brands([Brand("DNB", 8)])
    assert [m.how for m in brands.matching("DNB")] == ["equal"]
    assert [m.how for m in brands.matching("DN8")] == ["lookalike"]
    assert [m.how for m in brands.matching("MINDNB")] == ["contains"]
    brands.remove(Brand("DNB", 8))
    brands.remove(Brand("DNB", 8))
    assert brands.matching("DNB") == [] and list(brands) == []
    with pytest.raises(ValueError):
        brands.add(Brand("--", 1))


# Property tests: the index against the scan, over keywords that collide a lot.
LETTERS = "ABEIKLNORSTVÅÆØ0158"
words = st.text(alphabet=LETTERS, min_size=2, max_size=10)
operations = st.lists(
    st.tuples(st.booleans(), words, st.integers(min_value=1, max_value=4)), max_size=60
)
PROPERTY = settings(max_examples=150, deadline=None)


def _mutations(word: str) -> list[str]:
    """Words one or two edits away, so that the probes hit the neighbourhoods."""
    out = [word[1:], word[:-1], word + "A", "E" + word, word[::-1]]
    if len(word) > 2:
        out += [word[:1] + word[2:], word[0] + "K" + word[2:], word[1] + word[0] + word[2:]]
        out += [word[:1] + "Ø" + word[3:], word[:-2]]
    return [w for w in out if w]


def _same_answers(index: NumberKeywords, scan: ScanKeywords, probe: str) -> None:
    fold = fold_key(probe)
    assert index.holder(fold) == scan.holder(fold)
    assert index.lookalikes(skeleton(probe)) == scan.lookalikes(skeleton(probe))
    assert index.sounding_like(sound_key(probe)) == scan.sounding_like(sound_key(probe))
    assert index.similar(fold) == scan.similar(fold)


def _apply(ops: list[tuple[bool, str, int]]) -> tuple[NumberKeywords, ScanKeywords, list[str]]:
    index, scan, seen = NumberKeywords(), ScanKeywords(), []
    for lease, (adding, word, customer) in enumerate(ops):
        seen.append(word)
        if adding or not scan.entries:
            try:
                expected = scan.add(word, customer, lease)
            except ValueError:
                with pytest.raises(ValueError):
                    index.add(word, customer, lease)
            else:
                assert index.add(word, customer, lease) == expected
        else:
            victim = scan.entries[lease % len(scan.entries)].canonical
            assert index.remove(victim) == scan.remove(victim)
    assert sorted(e.canonical for e in index) == sorted(e.canonical for e in scan.entries)
    return index, scan, seen


@PROPERTY
@given(operations, st.lists(words, max_size=10))
def test_index_answers_as_the_scan(ops: list[tuple[bool, str, int]], extra: list[str]) -> None:
    index, scan, seen = _apply(ops)
    for word in seen + extra:
        for probe in [word, *_mutations(word)]:
            _same_answers(index, scan, probe)


brand_names = st.lists(
    st.tuples(st.text(alphabet=LETTERS + "MW", min_size=2, max_size=6), st.integers(1, 4)),
    max_size=6,
)


@settings(max_examples=70, deadline=None)
@given(operations, brand_names, st.lists(words, max_size=6), st.integers(1, 4))
def test_check_answers_as_with_the_scan(
    ops: list[tuple[bool, str, int]],
    names: list[tuple[str, int]],
    extra: list[str],
    customer: int,
) -> None:
    index, scan, seen = _apply(ops)
    brand_list = list(
        dict.fromkeys(Brand(name, holder) for name, holder in names if skeleton(name))
    )
    brands, scanned = Brands(brand_list), ScanBrands(brand_list)
    for word in seen + extra:
        for probe in [word, *_mutations(word), word + "RN", "MIN" + word]:
            assert brands.matching(probe) == scanned.matching(probe)
            with_index = check(probe, S, customer, index, brands, RESERVED)
            with_scan = check(probe, S, customer, scan, scanned, RESERVED)
            assert with_index == with_scan
