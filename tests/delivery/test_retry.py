"""RetryPolicy: the schedule as a table, jitter, the give-up window, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.domain.retry import RetryPolicy

DEFAULT = RetryPolicy()
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempt", "delay"),
    [
        (1, 5.0),
        (2, 10.0),
        (3, 20.0),
        (4, 40.0),
        (5, 80.0),
        (6, 160.0),
        (7, 320.0),
        (8, 640.0),
        (9, 1280.0),
        (10, 2560.0),
        (11, 3600.0),  # 5120 capped
        (12, 3600.0),
        (33, 3600.0),
        (5000, 3600.0),  # 2.0 ** 4999 overflows a float: still the cap
    ],
)
def test_default_schedule_without_jitter(attempt: int, delay: float) -> None:
    assert DEFAULT.next_delay(attempt, rand=0.0) == delay


@pytest.mark.parametrize(
    ("attempt", "rand", "delay"),
    [
        (1, 1.0, 4.5),  # jitter only shortens, by at most 10 %
        (1, 0.5, 4.75),
        (11, 1.0, 3240.0),
        (11, 0.5, 3420.0),
        (11, 0.0, 3600.0),  # never above the cap
    ],
)
def test_jitter_shortens_the_delay(attempt: int, rand: float, delay: float) -> None:
    assert DEFAULT.next_delay(attempt, rand) == pytest.approx(delay)


@pytest.mark.parametrize(
    ("policy", "delays"),
    [
        (RetryPolicy(first_delay=1, factor=3, max_delay=30, jitter=0), [1, 3, 9, 27, 30, 30]),
        (RetryPolicy(first_delay=60, factor=1, max_delay=60, jitter=0), [60] * 6),
        (RetryPolicy(first_delay=0.5, factor=2, max_delay=2, jitter=0), [0.5, 1, 2, 2, 2, 2]),
    ],
)
def test_other_policies(policy: RetryPolicy, delays: list[float]) -> None:
    assert [policy.next_delay(n, 0.0) for n in range(1, 7)] == delays


def test_the_default_schedule_tries_33_times_within_24_hours() -> None:
    """Failing instantly every time, with no jitter: 11 attempts in the first 1.5 h
    (0 s, 5 s, 15 s … 5115 s), then hourly until the 24 h window closes."""
    attempts = [START]
    while (at := DEFAULT.decide(len(attempts), START, attempts[-1], rand=0.0)) is not None:
        attempts.append(at)
    offsets = [(at - START).total_seconds() for at in attempts]
    assert offsets[:11] == [0, 5, 15, 35, 75, 155, 315, 635, 1275, 2555, 5115]
    assert offsets[11:] == [5115 + 3600 * n for n in range(1, 23)]
    assert len(attempts) == 33 and offsets[-1] <= 24 * 3600


@pytest.mark.parametrize(
    ("elapsed", "expected"),
    [
        (0, 5),
        (94, 99),
        (95, 100),  # lands exactly on the deadline: still allowed
        (96, None),  # would land after it: give up
        (500, None),
    ],
)
def test_decide_gives_up_when_the_next_attempt_would_fall_after_the_window(
    elapsed: float, expected: float | None
) -> None:
    policy = RetryPolicy(first_delay=5, max_delay=5, give_up_after=100, jitter=0)
    now = START + timedelta(seconds=elapsed)
    result = policy.decide(1, START, now, rand=0.0)
    assert result == (None if expected is None else START + timedelta(seconds=expected))


def test_decide_uses_the_jittered_delay() -> None:
    assert DEFAULT.decide(1, START, START, rand=1.0) == START + timedelta(seconds=4.5)


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0, max_value=1))
def test_every_delay_is_positive_and_within_the_cap(attempt: int, rand: float) -> None:
    delay = DEFAULT.next_delay(attempt, rand)
    assert 0 < delay <= DEFAULT.max_delay
    assert delay >= 0.9 * min(5.0 * 2 ** min(attempt - 1, 20), 3600.0) - 1e-9


@given(st.integers(min_value=1, max_value=200))
def test_delays_never_shrink_from_one_attempt_to_the_next(attempt: int) -> None:
    assert DEFAULT.next_delay(attempt + 1, 0.0) >= DEFAULT.next_delay(attempt, 0.0)


@pytest.mark.parametrize(
    "arguments",
    [
        {"first_delay": 0},
        {"first_delay": -1},
        {"first_delay": 10, "max_delay": 5},
        {"factor": 0.5},
        {"give_up_after": -1},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
)
def test_unusable_policies_are_refused(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**arguments)


@pytest.mark.parametrize(("attempt", "rand"), [(0, 0.0), (-1, 0.0), (1, -0.01), (1, 1.01)])
def test_bad_attempt_or_rand_is_refused(attempt: int, rand: float) -> None:
    with pytest.raises(ValueError):
        DEFAULT.next_delay(attempt, rand)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2025, 3, 1, 12, 0)
    with pytest.raises(ValueError):
        DEFAULT.decide(1, naive, START, 0.0)
    with pytest.raises(ValueError):
        DEFAULT.decide(1, START, naive, 0.0)
