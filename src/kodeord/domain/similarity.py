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


def osa_within(a: str, b: str, limit: int) -> int | None:
    """`osa_distance(a, b)` when it is at most `limit`, else None; fast for small limits.

    Equal leading and trailing characters are cut off first (they never cost an edit).
    What is left is one edit apart only as x/y, x/"" or xy/yx. Otherwise the first
    differing character is substituted, deleted, inserted or swapped with its
    neighbour, each branch with one edit less to spend: with `limit` 2 at most four
    such one-edit checks, against a full table of len(a) × len(b) cells.
    """
    if a == b:
        return 0
    start, stop = 0, min(len(a), len(b))
    while start < stop and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    length_a, length_b = len(a), len(b)
    if abs(length_a - length_b) > limit or limit == 0:
        return None
    if length_a + length_b == 1 or length_a == length_b == 1:
        return 1
    if length_a == length_b == 2 and a[0] == b[1] and a[1] == b[0]:
        return 1
    if limit == 1:
        return None
    branches = [(a[1:], b[1:]), (a[1:], b), (a, b[1:])]
    if length_a > 1 and length_b > 1 and a[0] == b[1] and a[1] == b[0]:
        branches.append((a[2:], b[2:]))
    best: int | None = None
    for rest_a, rest_b in branches:
        rest = osa_within(rest_a, rest_b, limit - 1 if best is None else best - 2)
        if rest is not None and (best is None or rest + 1 < best):
            best = rest + 1
            if best == 2:
                break
    return best
