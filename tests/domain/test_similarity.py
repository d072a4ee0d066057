"""Keyword similarity: the optimal string alignment distance and `nearest`, as tables."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kodeord.domain.similarity import (
    allowed_distance,
    close_distance,
    nearest,
    osa_distance,
    osa_within,
)

# a, b, distance
DISTANCE_CASES = [
    ("", "", 0),
    ("", "ABC", 3),
    ("ABC", "", 3),
    ("PIZZA", "PIZZA", 0),
    ("PIZZA", "PIZA", 1),  # deletion
    ("PIZZA", "PIZZAS", 1),  # insertion
    ("PIZZA", "PIZZO", 1),  # substitution
    ("PIZZA", "PZIZA", 1),  # transposition counts 1
    ("PIZZA", "PIZZA2", 1),
    ("AB", "BA", 1),
    ("ABCD", "BADC", 2),  # two separate transpositions
    ("ABC", "CBA", 2),
    ("CA", "ABC", 3),  # OSA edits no substring twice (unrestricted Damerau: 2)
    ("KITTEN", "SITTING", 3),
    ("VOTE", "TACO", 4),
    ("BLABAER", "BLABAR", 1),
]


@pytest.mark.parametrize(("a", "b", "distance"), DISTANCE_CASES)
def test_osa_distance(a: str, b: str, distance: int) -> None:
    assert osa_distance(a, b) == distance
    assert osa_distance(b, a) == distance


@pytest.mark.parametrize(
    ("length", "allowed"), [(0, 0), (1, 0), (2, 0), (3, 1), (5, 1), (6, 2), (16, 2)]
)
def test_allowed_distance(length: int, allowed: int) -> None:
    assert allowed_distance(length) == allowed


# word, keyword, distance within the allowance or None
CLOSE_CASES = [
    ("BLAABAER", "BLÅBÆR", 0),  # compared by fold key
    ("BLABAR", "BLÅBÆR", 1),
    ("PIZA", "PIZZA", 1),
    ("PIZ", "PIZZA", None),  # 2 edits, but the shorter word (3) allows 1
    ("JA", "JO", None),  # 2 characters: nothing but an exact fold
    ("ØL", "OEL", 0),
    ("PIZZERIAS", "PIZZERIA", 1),
    ("PIZZERA", "PIZZERIA", 1),
    ("PIZZERXX", "PIZZERIA", 2),
    ("PIZZXXXA", "PIZZERIA", None),
]


@pytest.mark.parametrize(("word", "keyword", "distance"), CLOSE_CASES)
def test_close_distance(word: str, keyword: str, distance: int | None) -> None:
    assert close_distance(word, keyword) == distance


# word, keywords on the number, nearest
NEAREST_CASES = [
    ("PIZA", ["PIZZA", "TACO"], "PIZZA"),
    ("PZIZA", ["PIZZA", "TACO"], "PIZZA"),
    ("PIZZA2", ["PIZZA"], "PIZZA"),
    ("BLAABAR", ["BLÅBÆR", "BLÅBÆRSAFT"], "BLÅBÆR"),
    ("KAKI", ["KAKE", "KAKA"], "KAKA"),  # a tie goes to the alphabetically first
    ("KAKI", ["KAKE", "KAKA", "KAKI"], "KAKI"),  # an exact fold beats a tie
    ("PIZZERIAS", ["PIZZA", "PIZZERIA"], "PIZZERIA"),
    ("TACOS", ["TACO", "TAKO"], "TACO"),  # 1 against 2 edits
    ("HEI", ["PIZZA", "TACO"], None),
    ("", ["PIZZA"], None),
    ("PIZZA", [], None),
    ("XY", ["XZ"], None),
]


@pytest.mark.parametrize(("word", "keywords", "expected"), NEAREST_CASES)
def test_nearest(word: str, keywords: list[str], expected: str | None) -> None:
    assert nearest(word, keywords) == expected
    assert nearest(word, reversed(keywords)) == expected


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


WORDS = st.text(alphabet="ABCÆØÅ", max_size=8)


@given(WORDS, WORDS)
def test_distance_properties(a: str, b: str) -> None:
    distance = osa_distance(a, b)
    assert distance == osa_distance(b, a)
    assert (distance == 0) == (a == b)
    assert abs(len(a) - len(b)) <= distance <= _levenshtein(a, b)


@given(WORDS, st.lists(WORDS.filter(bool), max_size=6))
def test_nearest_is_within_the_allowance_and_order_free(word: str, keywords: list[str]) -> None:
    found = nearest(word, keywords)
    assert found == nearest(word, sorted(keywords, reverse=True))
    if found is not None:
        assert found in keywords
        assert close_distance(word, found) is not None


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet="ABCØ", max_size=8),
    st.text(alphabet="ABCØ", max_size=8),
    st.integers(min_value=0, max_value=3),
)
def test_osa_within_agrees_with_osa_distance(a: str, b: str, limit: int) -> None:
    distance = osa_distance(a, b)
    assert osa_within(a, b, limit) == (distance if distance <= limit else None)
