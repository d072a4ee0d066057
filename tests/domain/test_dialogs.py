"""Dialog-ID rules as tables: suffix choice, reuse, expiry, never reused while live."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from kodeord.domain.dialogs import (
    DEFAULT_POLICY,
    GRACE,
    REPLY_WINDOW,
    SUFFIX_DIGITS,
    Dialog,
    DialogPlan,
    DialogPolicy,
    Draw,
    choose_suffix,
    clashing_first_digits,
    dialog_address,
    extended,
    holds_suffix,
    plan_dialog,
)
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routing import DialogFacts, DialogOwner, InMemoryRegistry, resolve_recipient

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def scripted(*values: int) -> Draw:
    """A draw that answers `values` in turn (modulo the range asked for)."""
    it: Iterator[int] = iter(values)
    return lambda n: next(it) % n


def test_policy_defaults() -> None:
    assert SUFFIX_DIGITS == 4
    assert timedelta(days=7) == REPLY_WINDOW
    assert timedelta(days=1) == GRACE
    assert DEFAULT_POLICY.expiry(NOW) == NOW + timedelta(days=7)
    assert DEFAULT_POLICY.blocked_since(NOW) == NOW - timedelta(days=1)


@pytest.mark.parametrize(
    ("number", "suffix", "address"),
    [("2077", "0421", "20770421"), ("26114", "0000", "261140000"), ("2077", "9999", "20779999")],
)
def test_dialog_address(number: str, suffix: str, address: str) -> None:
    assert dialog_address(number, suffix) == address
    assert len(address) <= 20  # SMPP 3.4 source_addr (5.2.8)


@pytest.mark.parametrize(
    ("expires_at", "holds"),
    [
        (NOW + timedelta(days=7), True),  # live
        (NOW + timedelta(seconds=1), True),
        (NOW, True),  # expired this instant: within the grace
        (NOW - timedelta(hours=23), True),  # expired, a late answer may still come
        (NOW - GRACE + timedelta(seconds=1), True),
        (NOW - GRACE, False),  # grace over: free again
        (NOW - timedelta(days=30), False),
    ],
)
def test_a_suffix_is_held_while_live_and_through_the_grace(
    expires_at: datetime, holds: bool
) -> None:
    assert holds_suffix(expires_at, NOW) is holds


@pytest.mark.parametrize(
    ("expires_at", "sent_at", "expected"),
    [
        (NOW, NOW, NOW + REPLY_WINDOW),  # each MT extends to its own send time + window
        (NOW - timedelta(days=3), NOW, NOW + REPLY_WINDOW),  # expired but kept: revived
        (NOW + timedelta(days=30), NOW, NOW + timedelta(days=30)),  # never shortened
        (NOW, NOW + timedelta(days=2), NOW + timedelta(days=9)),  # scheduled MT
    ],
)
def test_extended_never_shortens(
    expires_at: datetime, sent_at: datetime, expected: datetime
) -> None:
    dialog = Dialog("2077", "0421", 1, "+4741234567", expires_at)
    assert extended(dialog, sent_at) == expected


@pytest.mark.parametrize(
    ("current", "sent_at", "plan"),
    [
        (None, NOW, DialogPlan(None, NOW + REPLY_WINDOW)),
        (
            Dialog("2077", "0421", 1, "+4741234567", NOW + timedelta(days=1)),
            NOW,
            DialogPlan("0421", NOW + REPLY_WINDOW),
        ),
        (  # expired long ago but still the conversation's row: its suffix is kept
            Dialog("2077", "0421", 1, "+4741234567", NOW - timedelta(days=20)),
            NOW,
            DialogPlan("0421", NOW + REPLY_WINDOW),
        ),
    ],
)
def test_plan_reuses_the_conversations_dialog(
    current: Dialog | None, sent_at: datetime, plan: DialogPlan
) -> None:
    assert plan_dialog(current, sent_at) == plan


def test_plan_with_own_window() -> None:
    policy = DialogPolicy(reply_window=timedelta(hours=1))
    assert plan_dialog(None, NOW, policy) == DialogPlan(None, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    ("blocked", "script", "excluded", "expected"),
    [
        (set(), (421,), set(), "0421"),  # the draw, zero-padded
        (set(), (0,), set(), "0000"),
        ({"0421"}, (421, 421, 7), set(), "0007"),  # a taken draw is thrown away
        (set(), (123, 2500), {"0", "1"}, "2500"),  # clashing first digits skipped
    ],
)
def test_choose_suffix_draws(
    blocked: set[str], script: tuple[int, ...], excluded: set[str], expected: str
) -> None:
    assert choose_suffix(blocked, scripted(*script), excluded_first=excluded) == expected


def test_a_blocked_suffix_is_never_chosen() -> None:
    rng = random.Random(7)
    blocked = {f"{n:04d}" for n in range(0, 10_000, 2)}  # every even suffix is live
    for _ in range(2_000):
        suffix = choose_suffix(blocked, rng.randrange)
        assert suffix is not None and suffix not in blocked and int(suffix) % 2 == 1


def test_a_nearly_full_number_lists_the_free_ones() -> None:
    blocked = {f"{n:04d}" for n in range(10_000)} - {"5555", "7777"}
    rng = random.Random(1)
    chosen = Counter(choose_suffix(blocked, rng.randrange) for _ in range(200))
    assert set(chosen) == {"5555", "7777"}
    assert min(chosen.values()) > 60  # both, about evenly


def test_a_full_number_has_no_suffix() -> None:
    blocked = {f"{n:04d}" for n in range(10_000)}
    assert choose_suffix(blocked, random.Random(1).randrange) is None
    assert (
        choose_suffix(set(), random.Random(1).randrange, excluded_first=set("0123456789")) is None
    )


def test_choice_is_random_not_sequential() -> None:
    rng = random.Random(3)
    chosen = [choose_suffix(set(), rng.randrange) for _ in range(50)]
    assert len(set(chosen)) > 45
    assert chosen != sorted(chosen)


def test_shorter_suffix_space() -> None:
    rng = random.Random(2)
    blocked = {"0", "1", "2", "3", "4", "5", "6", "7", "8"}
    assert choose_suffix(blocked, rng.randrange, digits=1) == "9"


@pytest.mark.parametrize(
    ("number", "registered", "clashing"),
    [
        ("2077", ["2077", "26114"], set()),
        ("2077", ["2077", "20770", "20779", "2078"], {"0", "9"}),
        ("20770", ["2077", "20770"], set()),  # a 5-digit number's suffix cannot clash
    ],
)
def test_clashing_first_digits(number: str, registered: list[str], clashing: set[str]) -> None:
    assert clashing_first_digits(number, registered) == clashing


def test_the_router_reads_a_chosen_address_back_as_its_dialog() -> None:
    """What the allocator avoids is what the router would misread."""
    numbers = [
        ShortNumber("2077", NumberMode.SHARED, None, False, 0, 0, 0),
        ShortNumber("20770", NumberMode.SHARED, None, False, 0, 0, 0),
    ]
    excluded = clashing_first_digits("2077", [n.number for n in numbers])
    suffix = choose_suffix(set(), scripted(421, 5421), excluded_first=excluded)
    assert suffix == "5421"
    registry = InMemoryRegistry(
        numbers=numbers,
        dialogs=[DialogFacts("2077", suffix, DialogOwner(9), NOW + REPLY_WINDOW)],
    )
    resolved = resolve_recipient(dialog_address("2077", suffix), registry)
    assert resolved is not None and resolved[0].number == "2077" and resolved[1] == "5421"
    assert registry.dialog("2077", "5421", NOW) == DialogOwner(9)
