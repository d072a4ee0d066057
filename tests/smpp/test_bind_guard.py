"""BindThrottle and RefusalTally: tables of attempts at given times and what each gets.
Time is a plain float; nothing sleeps."""

from __future__ import annotations

import pytest

from kodeord.smpp.bind_guard import BindThrottle, RefusalTally, Tally, ThrottlePolicy

POLICY = ThrottlePolicy(failures=3, lockout=100.0, growth=2.0, max_lockout=250.0, free_failures=1)
"""3 failures lock out for 100 s, then 200 s, then 250 s; after the first, 1 s doubling."""

# (time, outcome) per attempt on one key: "fail" / "ok" are checked attempts that
# failed or succeeded, a number is a refusal without a check (the seconds to wait).
CASES: dict[str, list[tuple[float, str | float]]] = {
    "first failure is free, the second earns a 1 s backoff": [
        (0.0, "fail"),
        (0.0, "fail"),
        (0.5, 0.5),
        (1.0, "ok"),
        (1.0, "fail"),  # a success forgot the key: free again
        (1.0, "fail"),
    ],
    "the limit locks out, and a lockout grows each time, to its maximum": [
        (0.0, "fail"),
        (0.0, "fail"),
        (1.0, "fail"),  # third failure: locked for 100 s
        (1.0, 100.0),
        (100.9, 0.1),
        (101.0, "fail"),  # allowed again; failures counted from zero
        (101.0, "fail"),
        (102.0, "fail"),  # second lockout: 200 s
        (301.0, 1.0),
        (302.0, "fail"),
        (302.0, "fail"),
        (303.0, "fail"),  # third: 400 s capped at 250
        (303.0, 250.0),
        (553.0, "ok"),
    ],
    "a key quiet for forget_after is new again": [
        (0.0, "fail"),
        (0.0, "fail"),
        (1.0, "fail"),
        (101.0 + 3600.5, "fail"),
        (3701.5, "fail"),  # a free failure, then the backoff is 1 s again, not a lockout
        (3702.0, 0.5),
    ],
}


@pytest.mark.parametrize("attempts", CASES.values(), ids=CASES.keys())
def test_attempts_on_one_key(attempts: list[tuple[float, str | float]]) -> None:
    throttle = BindThrottle(POLICY)
    for now, expected in attempts:
        wait = throttle.begin("shop", now)
        if isinstance(expected, str):
            assert wait == 0.0, (now, expected)
            throttle.end("shop", now, ok=expected == "ok")
        else:
            assert wait == pytest.approx(expected), (now, expected)


def test_checks_in_flight_count_against_the_limit() -> None:
    """Twenty binds at once get no more password checks than three in a row would."""
    throttle = BindThrottle(POLICY)
    begun = [throttle.begin("shop", 0.0) for _ in range(20)]
    assert begun == [0.0] * 3 + [None] * 17  # the rest wait for those three
    throttle.end("shop", 0.1, ok=True, forget=False)
    assert throttle.begin("shop", 0.1) == 0.0  # one ended well: one more may go
    for _ in range(3):
        throttle.end("shop", 0.1, ok=False)
    assert throttle.begin("shop", 0.2) == pytest.approx(99.9)  # three failed: locked


def test_a_cancelled_check_gives_its_place_back() -> None:
    throttle = BindThrottle(POLICY)
    assert [throttle.begin("k", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    throttle.cancel("k")
    assert throttle.begin("k", 0.0) == 0.0


def test_a_success_without_forget_keeps_the_count() -> None:
    """The server's IP key: an attacker's one good account must not reset its address."""
    throttle = BindThrottle(POLICY)
    for now, ok in ((0.0, False), (0.0, False), (1.0, True), (1.0, False)):
        assert throttle.begin("ip", now) == 0.0
        throttle.end("ip", now, ok=ok, forget=False)
    assert throttle.begin("ip", 1.0) == pytest.approx(100.0)  # the third failure locked it


def test_keys_are_bounded_oldest_forgotten_first() -> None:
    throttle = BindThrottle(ThrottlePolicy(failures=1, max_keys=3))
    for key in "abcd":
        throttle.begin(key, 0.0)
        throttle.end(key, 0.0, ok=False)
    assert len(throttle) == 3
    assert throttle.begin("a", 1.0) == 0.0  # forgotten
    assert throttle.begin("d", 1.0) > 0  # still locked


@pytest.mark.parametrize(
    "bad",
    [
        {"failures": 0},
        {"max_keys": 0},
        {"growth": 0.5},
        {"lockout": -1.0},
        {"forget_after": 0.0},
        {"free_failures": -1},
    ],
)
def test_unusable_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(**bad)  # type: ignore[arg-type]


def test_refusals_are_logged_once_per_key_and_interval_then_counted() -> None:
    tally = RefusalTally(interval=60.0)
    logged = [tally.add("a", t) for t in (0.0, 1.0, 2.0, 30.0)]
    assert logged == [True, False, False, False]
    assert tally.add("b", 5.0) is True
    assert tally.due(59.0) == []
    assert tally.due(61.0) == [Tally("a", 3, 0.0, 30.0)]  # "b" alone needs no count line
    assert tally.add("a", 62.0) is True  # a new interval
    assert tally.due(63.0, everything=True) == []


def test_a_key_back_after_its_interval_closes_the_old_count() -> None:
    tally = RefusalTally(interval=10.0)
    tally.add("a", 0.0)
    tally.add("a", 1.0)
    assert tally.add("a", 15.0) is True
    tally.add("a", 16.0)
    assert tally.due(17.0, everything=True) == [Tally("a", 1, 0.0, 1.0), Tally("a", 1, 15.0, 16.0)]


def test_the_tally_is_bounded() -> None:
    tally = RefusalTally(interval=10.0, max_keys=2)
    assert [tally.add(k, 0.0) for k in "abc"] == [True, True, False]
