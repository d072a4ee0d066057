"""Keyword similarity: which keyword on a number a mistyped word most likely meant.

The router uses it for the operator-inbox suggestion ("Ukjent kodeord. Mente du PIZZA?").
The rules:

- The distance is Damerau-Levenshtein in its optimal string alignment form: inserting,
  deleting or substituting one character, or swapping two adjacent ones, costs 1, and
  no part of the word is edited twice (so `CA` → `ABC` is 3, not 2 as with the
  unrestricted Damerau-Levenshtein distance).
- Words are compared by their Norwegian fold keys (`keywords.fold_key`), so `BLAABAER`
  is distance 0 from `BLÅBÆR`; both arguments are canonical keys as `normalise` gives them.
- How far a word may be from a keyword depends on the shorter of the two fold keys:
  0 for up to 2 characters, 1 for 3-5, 2 for 6 and more. Short words are not
  "corrected" into unrelated short keywords.
- `nearest` takes the closest keyword within that allowance; ties go to the
  alphabetically first keyword; None when nothing is close enough.
"""

from __future__ import annotations

from collections.abc import Iterable

from kodeord.domain.keywords import fold_key


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance between `a` and `b` (transposition costs 1)."""
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            substitution = previous[j - 1] + (a[i - 1] != b[j - 1])
            best = min(previous[j] + 1, current[j - 1] + 1, substitution)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before_previous[j - 2] + 1)
            current[j] = best
        before_previous, previous = previous, current
    return previous[len(b)]


def allowed_distance(length: int) -> int:
    """How many edits a word of `length` characters may be away from a keyword."""
    if length <= 2:
        return 0
    if length <= 5:
        return 1
    return 2


def close_distance(word: str, keyword: str) -> int | None:
    """The distance between two canonical keys' folds, or None when beyond the allowance."""
    a, b = fold_key(word), fold_key(keyword)
    allowance = allowed_distance(min(len(a), len(b)))
    if abs(len(a) - len(b)) > allowance:
        return None  # cheap early answer: a length gap alone costs that many edits
    distance = osa_distance(a, b)
    return distance if distance <= allowance else None


def nearest(word: str, keywords: Iterable[str]) -> str | None:
    """The keyword closest to `word` within the allowance; ties alphabetically; or None."""
    best: tuple[int, str] | None = None
    for keyword in sorted(set(keywords)):
        distance = close_distance(word, keyword)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, keyword)
    return None if best is None else best[1]
