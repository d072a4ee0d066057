"""Keyword normalisation and the Norwegian fold, as tables of cases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.domain.keywords import fold_key, invalid_reason, normalise

# text, canonical, fold, body
NORMALISE_CASES = [
    ("PIZZA", "PIZZA", "PIZZA", ""),
    ("pizza", "PIZZA", "PIZZA", ""),
    (" Pizza!", "PIZZA", "PIZZA", "!"),
    ("pizza 2 margherita", "PIZZA", "PIZZA", "2 margherita"),
    ("Pizza, 2 stk", "PIZZA", "PIZZA", ", 2 stk"),
    ("...pizza", "PIZZA", "PIZZA", ""),
    ("\n\t pizza\n", "PIZZA", "PIZZA", ""),
    ("ＰＩＺＺＡ", "PIZZA", "PIZZA", ""),  # fullwidth, NFKC
    ("\u200bpizza", "PIZZA", "PIZZA", ""),  # zero-width space
    ("pi\u200dzza", "PIZZA", "PIZZA", ""),  # zero-width joiner inside
    ("\ufeffPIZZA", "PIZZA", "PIZZA", ""),  # byte order mark
    ("Blåbær", "BLÅBÆR", "BLABAER", ""),
    ("BLAABAER", "BLAABAER", "BLABAER", ""),
    ("blabaer", "BLABAER", "BLABAER", ""),
    ("BLÅBÆR syltetøy", "BLÅBÆR", "BLABAER", "syltetøy"),
    ("Øl", "ØL", "OL", ""),
    ("OEL", "OEL", "OL", ""),
    ("Ærlig", "ÆRLIG", "AERLIG", ""),
    ("Straße", "STRASSE", "STRASSE", ""),  # casefold
    ("VOTE2", "VOTE2", "VOTE2", ""),
    ("2077", "2077", "2077", ""),
    ("", "", "", ""),
    ("!!!", "", "", ""),
    ("A\u030a", "Å", "A", ""),  # decomposed Å composes under NFKC
]


@pytest.mark.parametrize(("text", "canonical", "fold", "body"), NORMALISE_CASES)
def test_normalise(text: str, canonical: str, fold: str, body: str) -> None:
    keyword = normalise(text)
    assert (keyword.canonical, keyword.fold, keyword.body) == (canonical, fold, body)


@pytest.mark.parametrize("spelling", ["Blåbær", "BLAABAER", "blabaer", "BLÅBAER", "blaabær"])
def test_blabaer_spellings_collide(spelling: str) -> None:
    assert normalise(spelling).fold == normalise("Blåbær").fold


# text, registrable (None) or the start of the reason
VALIDITY_CASES = [
    ("PIZZA", None),
    ("Blåbær", None),
    ("ab", None),
    ("a" * 16, None),
    ("VOTE2", None),
    ("12", None),
    (" Pizza! ", None),
    ("a", "must be at least"),
    ("ø", "must be at least"),
    ("a" * 17, "must be at most"),
    ("pizza 2", "must be one word"),
    ("hvit-vin", "must be one word"),
    ("", "no letters"),
    ("!!", "no letters"),
    ("PIZZÉ", "only the letters"),
    ("ПИЦЦА", "only the letters"),
    ("pizza😀", None),  # the emoji is not part of the token and not a word character
]


@pytest.mark.parametrize(("text", "reason"), VALIDITY_CASES)
def test_invalid_reason(text: str, reason: str | None) -> None:
    problem = invalid_reason(normalise(text))
    if reason is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(reason)


@given(st.text(max_size=40))
def test_normalise_is_idempotent(text: str) -> None:
    keyword = normalise(text)
    again = normalise(keyword.canonical)
    assert again.canonical == keyword.canonical
    assert again.fold == fold_key(keyword.canonical)


@given(st.text(alphabet="ABCÆØÅOEa", max_size=12))
def test_fold_ignores_case(text: str) -> None:
    assert normalise(text.lower()).fold == normalise(text.upper()).fold
