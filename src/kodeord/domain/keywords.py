"""Keyword normalisation: the ONE function that leasing and routing both use.

An SMS keyword is the first word of a message. `normalise` turns any text into the
key we compare, by these rules, in this order:

1. Unicode NFKC (fullwidth `ＰＩＺＺＡ` becomes `PIZZA`, ligatures split);
2. drop format characters (Unicode category Cf: zero-width space/joiner, BOM, bidi marks);
3. casefold (`ß` becomes `ss`);
4. skip leading whitespace and punctuation, then take the first run of letters and digits;
5. upper-case it: that is the canonical key (`PIZZA`, `BLÅBÆR`).

The Norwegian fold key makes spellings that phones and people mix up collide:
Å→A, Æ→AE, Ø→O (and Ä→AE, Ö→O for Swedish keyboards), then AA→A and OE→O, so
`Blåbær`, `BLAABAER` and `blabaer` all fold to `BLABAER`.

A keyword is registrable when its canonical form is 2–16 characters from A–Z, Æ, Ø, Å
and 0–9 and the input held nothing but that one token (surrounding whitespace and
punctuation aside). Letters outside that set are refused because phones on the
Norwegian networks send them unreliably (GSM 03.38 has no É-free guarantee for them).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MIN_LENGTH = 2
MAX_LENGTH = 16

# The words every short number keeps for itself (NOTES.md: Norwegian market rules).
BUILTIN_RESERVED: frozenset[str] = frozenset(
    {"STOPP", "STOP", "HJELP", "HELP", "INFO", "START", "JA", "NEI"}
)

_REGISTRABLE = re.compile(r"[A-Z0-9ÆØÅ]+")
_FOLD_LETTERS = str.maketrans({"Å": "A", "Æ": "AE", "Ø": "O", "Ä": "AE", "Ö": "O"})


@dataclass(frozen=True, slots=True)
class NormalisedKeyword:
    """The keyword found at the start of a text, and what followed it."""

    canonical: str
    fold: str
    body: str  # the text after the keyword, leading whitespace stripped (the "body")
    alone: bool  # True when nothing but punctuation/whitespace surrounds the token


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.casefold()


def _is_word_char(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] == "L" or category == "Nd" or category == "Mn"


def fold_key(canonical: str) -> str:
    """The Norwegian fold of a canonical key: `BLÅBÆR`, `BLAABAER` → `BLABAER`."""
    return canonical.translate(_FOLD_LETTERS).replace("AA", "A").replace("OE", "O")


def normalise(text: str) -> NormalisedKeyword:
    """Find the keyword at the start of `text` (see the module rules)."""
    cleaned = _clean(text)
    start = 0
    while start < len(cleaned) and not _is_word_char(cleaned[start]):
        start += 1
    end = start
    while end < len(cleaned) and _is_word_char(cleaned[end]):
        end += 1
    canonical = unicodedata.normalize("NFC", cleaned[start:end].upper())
    rest = cleaned[end:]
    # The body keeps the sender's own letters: cut the original text at the same
    # place when the cleaning did not change lengths, else fall back to the cleaned text.
    body = _original_rest(text, cleaned, end)
    alone = all(not _is_word_char(ch) for ch in rest)
    return NormalisedKeyword(canonical, fold_key(canonical), body.strip(), alone)


def _original_rest(text: str, cleaned: str, end: int) -> str:
    nfkc = unicodedata.normalize("NFKC", text)
    nfkc = "".join(ch for ch in nfkc if unicodedata.category(ch) != "Cf")
    if len(nfkc) == len(cleaned):
        return nfkc[end:]
    return cleaned[end:]


def invalid_reason(keyword: NormalisedKeyword) -> str | None:
    """Why a normalised keyword cannot be registered, or None when it can."""
    canonical = keyword.canonical
    if not canonical:
        return "no letters or digits"
    if not keyword.alone:
        return "must be one word"
    if not _REGISTRABLE.fullmatch(canonical):
        return "only the letters A–Z, Æ, Ø, Å and the digits 0–9 are allowed"
    if len(canonical) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(canonical) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    return None
