"""Lookalike and soundalike keys: when two keywords read or sound the same to a person.

`skeleton(text)` is the key under which keywords that LOOK alike collide (`P1ZZA`,
`pizzaa`, `ＰＩＺＺＡ`, `РIZZА` with Cyrillic Р and А, all `PIZA`). The steps, in order:

1. Unicode NFKC (fullwidth and other compatibility forms), drop format characters
   (zero-width space and the like), upper-case;
2. Cyrillic and Greek letters that look like Latin ones become those (`Р`→P, `Α`→A …);
3. the Norwegian fold (`keywords.fold_key`: Å→A, Æ→AE, Ø→O, AA→A, OE→O), so every
   spelling that folds alike has one skeleton (`BLÅBÆR`, `BLAABAER`);
4. accents are dropped (`É`→E), and a few letters without a decomposition (`Ł`→L …);
5. digits and letters that look alike: 0→O, 1→I, L→I, 5→S, 8→B (leetspeak such as
   3→E or 4→A is not a lookalike and is left alone, so `VOTE3` does not clash with `VOTE`);
6. letter pairs that look like one letter: RN→M, VV→W;
7. anything but letters and digits is dropped; then OE→O (`P0EM`) and runs of one letter
   collapsing to one (`PIZZAA` → `PIZA`, `HELLO` → `HEIO`) are repeated until nothing
   changes, so a word and its fold share a skeleton (`ØEEE` folds to `OEE`: both `O`).

`sound_key(text)` is the key under which keywords that SOUND alike in Norwegian collide:

1. NFKC, upper-case, accents dropped (Ä→Æ and Ö→Ø first);
2. AA→Å, AE→Æ, OE→Ø;
3. the sj-sound: SKJ, SJ, SCH, SH, and SK before I, Y, EI, ØY (`SKI`, `SJI`) are one sound;
4. the kj-sound: KJ, TJ, and K before I, Y (`KINO`, `KJINO`, `TJINO`);
5. silent letters and j-sounds: HV→V, HJ→J, GJ→J, LJ→J, DJ→J, G before I, Y, EI, ØY→J;
6. foreign spellings: PH→F, TH→T, CH→K, CK→K, C before E, I, Y→S, else C→K, W→V, Z→S,
   QU→KV, Q→K, X→KS;
7. runs of one letter collapse to one (double consonants: `TAKK` ~ `TAK`).

Both are pure functions of the text; they are keys, never shown to anyone.
"""

from __future__ import annotations

import re
import unicodedata

from kodeord.domain.keywords import fold_key

# Cyrillic and Greek capitals that are drawn like a Latin capital (after upper-casing).
_HOMOGLYPHS = str.maketrans(
    {
        # Cyrillic
        "А": "A",
        "В": "B",
        "Е": "E",
        "Ё": "E",
        "Ѕ": "S",
        "І": "I",
        "Ї": "I",
        "Ј": "J",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "У": "Y",
        "Ү": "Y",
        "Х": "X",
        "Ԛ": "Q",
        "Ԝ": "W",
        "Ӏ": "I",
        # Greek
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "I",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
        "Ϲ": "C",
        # Latin letters with a stroke, which Unicode does not decompose
        "Ł": "L",
        "Đ": "D",
        "Ð": "D",
        "Ħ": "H",
        "Ŧ": "T",
        "Ɨ": "I",
    }
)
_DIGIT_LETTERS = str.maketrans({"0": "O", "1": "I", "L": "I", "5": "S", "8": "B"})
_LETTER_PAIRS = re.compile(r"RN|VV")
_PAIR_LETTER = {"RN": "M", "VV": "W"}
_NOT_WORD = re.compile(r"[^0-9A-Z]+")
_RUNS = re.compile(r"(.)\1+")

_SOUND_UMLAUTS = str.maketrans({"Ä": "Æ", "Ö": "Ø"})
_SOUNDS = re.compile(
    r"SKJ|SCH|SJ|SH|SK(?=I|Y|EI|ØY)"  # sj-sound
    r"|KJ|TJ|K(?=I|Y)"  # kj-sound
    r"|HV|HJ|GJ|LJ|DJ|G(?=I|Y|EI|ØY)"  # silent h, d, l, g before j; soft g
    r"|PH|TH|CH|CK|C|W|Z|QU|Q|X"  # foreign spellings (C before E, I, Y sounds S)
    r"|AA|AE|OE"
)
_SOUND_OF = {
    **dict.fromkeys(["SKJ", "SCH", "SJ", "SH", "SK"], "ʃ"),
    **dict.fromkeys(["KJ", "TJ", "K"], "ç"),
    **dict.fromkeys(["HJ", "GJ", "LJ", "DJ", "G"], "J"),
    "HV": "V",
    "PH": "F",
    "TH": "T",
    "CH": "K",
    "CK": "K",
    "C": "K",
    "W": "V",
    "Z": "S",
    "QU": "KV",
    "Q": "K",
    "X": "KS",
    "AA": "Å",
    "AE": "Æ",
    "OE": "Ø",
}


def _upper(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").casefold().upper()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def skeleton(text: str, pairs: bool = True) -> str:
    """The lookalike key of a word (see the module rules): `P1ZZA`, `pizzaa` → `PIZA`.

    `pairs=False` leaves out step 6 (RN→M, VV→W): brand containment looks at both forms,
    since `TELENORNO` contains `TELENOR` although its skeleton `TEIENOMO` does not."""
    folded = fold_key(_upper(text).translate(_HOMOGLYPHS))
    plain = _strip_accents(folded).translate(_DIGIT_LETTERS)
    if pairs:
        plain = _LETTER_PAIRS.sub(lambda m: _PAIR_LETTER[m.group()], plain)
    plain = _NOT_WORD.sub("", plain)
    while True:  # to a fixed point: OEE → OE → O, as the fold of OEE (OE) would give
        reduced = _RUNS.sub(r"\1", plain.replace("OE", "O"))
        if reduced == plain:
            return reduced
        plain = reduced


def _sound_of(match: re.Match[str]) -> str:
    text = match.group()
    if text == "C":
        return "S" if _FRONT_C.match(match.string, match.end()) else "K"
    return _SOUND_OF[text]


_FRONT_C = re.compile(r"[EIY]")


def sound_key(text: str) -> str:
    """The Norwegian soundalike key of a word (see the module rules): `HVIT` ~ `VIT`."""
    upper = _upper(text).translate(_SOUND_UMLAUTS)
    # Å, Æ and Ø are letters of their own here; other accents go (É→E).
    plain = "".join(ch if ch in "ÅÆØ" else _strip_accents(ch) for ch in upper if ch.isalnum())
    return _RUNS.sub(r"\1", _SOUNDS.sub(_sound_of, plain))
