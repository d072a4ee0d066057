"""Keyword availability check (`domain.availability.check`) against a large index.

Run from the repository root:

    .venv/bin/python bench/keyword_check.py                      # 1,000,000 keywords, ~3 min
    .venv/bin/python bench/keyword_check.py --keywords 100000    # a quick look

All keywords sit on ONE shared number (the harder case: every check looks at all of
them), held by 20,000 customers at random, with 300 protected brands. The keywords are
generated, seeded, Norwegian-ish:

- a word is 1–4 syllables (weights 30/45/20/5), each an onset (none, B, BL, … SKJ, STR,
  HV, KJ …), a vowel (A, E, I, O, U, Y, Æ, Ø, Å, EI, AU, ØY) and a coda (none, N, NN,
  RT, LL, ST, KK, NG, ND …); a quarter of the words start with a common stem instead
  (PIZZA, TAXI, BLÅBÆR, KJØKKEN, FOTBALL, TILBUD …); 12 % end in a number 1–2099;
- kept when 3–16 characters and its fold is new (one keyword per fold, as on a number).
The dense syllable space gives many neighbours: a typical word has a few keywords within
the edit allowance, some have over a hundred.

The 2,000 probes are a third each: taken (a registered keyword, random case), near (a
registered keyword with one edit, a swap or a lookalike digit), and new words from the
same generator with another seed. Each probe is one full `check` (normalise, reserved,
taken, confusable, protected, similar, sounds_like, and suggestions when blocked), timed
with perf_counter_ns. Memory is the process's resident set size before and after the
index is built (the keyword strings, which the index keeps, included), and the deletion
table's own array.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time

from kodeord.domain.availability import check
from kodeord.domain.keywords import fold_key
from kodeord.domain.leasing import ReservedWords
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.registry_index import Brand, Brands, NumberKeywords

ONSETS = ["", "", "", "B", "BL", "BR", "D", "DR", "F", "FL", "FR", "G", "GL", "GR", "H", "HV"]
ONSETS += ["J", "K", "KJ", "KL", "KR", "L", "M", "N", "P", "PL", "PR", "R", "S", "SK", "SKJ"]
ONSETS += ["SL", "SM", "SN", "SP", "ST", "STR", "SV", "T", "TR", "V"]
VOWELS = ["A", "A", "E", "E", "I", "O", "O", "U", "Y", "Æ", "Ø", "Å", "EI", "AU", "ØY"]
CODAS = ["", "", "", "N", "NN", "R", "RT", "L", "LL", "S", "ST", "K", "KK", "T", "TT", "G"]
CODAS += ["NG", "M", "MM", "ND", "RD", "SK", "FT", "KT"]
STEMS = ["PIZZA", "TAXI", "SUSHI", "KAFFE", "BIL", "HUS", "BÅT", "FISK", "SKO", "TUR", "KLUBB"]
STEMS += ["FOTBALL", "SKI", "HYTTE", "BOLIG", "BANK", "BUSS", "TOG", "FLY", "KINO", "MAT"]
STEMS += ["VIN", "ØL", "BLÅBÆR", "JORDBÆR", "KJØKKEN", "SJØ", "FJELL", "HAV", "SOL", "STORM"]
STEMS += ["VOTE", "QUIZ", "TILBUD", "SALG", "RABATT", "HELSE", "LEGE", "TANN", "HÅR", "GULL"]
REAL_BRANDS = ["TELENOR", "TELIA", "DNB", "VIPPS", "NRK", "STOREBRAND", "GJENSIDIGE", "KIWI"]
NUMBER = ShortNumber("2077", NumberMode.SHARED, None, False, 0, 0, 1000)
LOOKALIKE_DIGITS = {"O": "0", "I": "1", "S": "5", "B": "8", "L": "1"}


def _word(rng: random.Random) -> str:
    def syllable() -> str:
        return rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)

    count = rng.choices([1, 2, 3, 4], [30, 45, 20, 5])[0]
    if rng.random() < 0.25:
        word = rng.choice(STEMS) + "".join(syllable() for _ in range(count - 1))
    else:
        word = "".join(syllable() for _ in range(count))
    if rng.random() < 0.12:
        word += str(rng.randint(1, 2099))
    return word


def generate(count: int, seed: int, taken: set[str] | None = None) -> list[str]:
    """`count` keywords (canonical keys) with new folds, 3–16 characters."""
    rng = random.Random(seed)
    seen = set() if taken is None else set(taken)
    words: list[str] = []
    while len(words) < count:
        word = _word(rng)
        fold = fold_key(word)
        if 3 <= len(word) <= 16 and fold not in seen:
            seen.add(fold)
            words.append(word)
    return words


def _near(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    kind = rng.randrange(4)
    if kind == 0 and word[i] in LOOKALIKE_DIGITS:
        return word[:i] + LOOKALIKE_DIGITS[word[i]] + word[i + 1 :]
    if kind == 1 and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 2 and len(word) > 3:
        return word[:i] + word[i + 1 :]
    return word[:i] + rng.choice("AEIKNORST") + word[i + 1 :]


def probes(words: list[str], count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    fresh = generate(count // 3 + 1, seed + 1, {fold_key(w) for w in rng.sample(words, 1000)})
    out = []
    for i in range(count):
        kind = ("taken", "near", "new")[i % 3]
        if kind == "taken":
            word = rng.choice(words)
            out.append((kind, word.lower() if rng.random() < 0.5 else word))
        elif kind == "near":
            out.append((kind, _near(rng.choice(words), rng)))
        else:
            out.append((kind, fresh[i // 3]))
    rng.shuffle(out)
    return out


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keywords", type=int, default=1_000_000)
    parser.add_argument("--probes", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2077)
    args = parser.parse_args()

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus")
    started = time.perf_counter()
    words = generate(args.keywords, args.seed)
    rng = random.Random(args.seed)
    rows = [(word, rng.randrange(1, 20_001), lease) for lease, word in enumerate(words)]
    print(
        f"generated {len(words):,} keywords in {time.perf_counter() - started:.1f} s; "
        f"mean length {statistics.mean(len(w) for w in words):.1f}"
    )

    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    index = NumberKeywords.build(rows)
    built = time.perf_counter() - started
    del rows
    gc.collect()
    grown = rss_bytes() - before
    strings = sum(sys.getsizeof(w) for w in words)
    print(
        f"built the index in {built:.1f} s: {index.table_bytes / 2**20:.0f} MiB "
        f"deletion table, RSS +{grown / 2**20:.0f} MiB "
        f"(+{strings / 2**20:.0f} MiB of keyword strings held before and kept)"
    )

    brand_names = REAL_BRANDS + [w for w in generate(292, args.seed + 7) if len(w) >= 4]
    brands = Brands(Brand(name, 900_000 + i) for i, name in enumerate(brand_names))
    reserved = ReservedWords(["KAMPANJE"])
    sample = probes(words, args.probes, args.seed + 3)

    for _kind, word in sample[:50]:  # warm up
        check(word, NUMBER, 1, index, brands, reserved)
    timings: dict[str, list[float]] = {"taken": [], "near": [], "new": []}
    outcomes = {"blocked": 0, "warned": 0, "clean": 0}
    for kind, word in sample:
        customer = rng.randrange(1, 20_001)
        t0 = time.perf_counter_ns()
        result = check(word, NUMBER, customer, index, brands, reserved)
        timings[kind].append((time.perf_counter_ns() - t0) / 1e6)
        outcomes["blocked" if result.reasons else "warned" if result.warnings else "clean"] += 1

    def line(name: str, values: list[float]) -> None:
        ordered = sorted(values)
        print(
            f"  {name:<6} n={len(values):>5}  p50 {percentile(ordered, 0.5):.3f} ms  "
            f"p90 {percentile(ordered, 0.9):.3f}  p99 {percentile(ordered, 0.99):.3f}  "
            f"max {ordered[-1]:.3f}  mean {statistics.mean(values):.3f}"
        )

    print(f"check() on one number with {len(index):,} keywords:")
    line("all", [t for values in timings.values() for t in values])
    for kind, values in timings.items():
        line(kind, values)
    print(f"  outcomes: {outcomes}")

    started = time.perf_counter()
    fresh = generate(1_000, args.seed + 11, {fold_key(w) for w in words[:1000]})
    added = [w for w in fresh if index.holder(fold_key(w)) is None]
    for lease, word in enumerate(added):
        index.add(word, 1, lease)
    for word in added:
        index.remove(word)
    per_op = (time.perf_counter() - started) / (2 * len(added)) * 1e6
    print(f"lease/release update of the index: {per_op:.0f} µs per add or remove")


if __name__ == "__main__":
    main()
