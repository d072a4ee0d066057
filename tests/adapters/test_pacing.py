"""Pacing (rate limit, throttle pause, backoff) with time as a plain number: nothing sleeps."""

from __future__ import annotations

import pytest

from kodeord.adapters.smpp_io.pacing import Pacer, backoff_delay
from kodeord.smpp.constants import CommandStatus

S = CommandStatus


def test_rate_spaces_messages_evenly() -> None:
    pacer = Pacer(max_rate=50, throttle_backoff=1.0)
    waits = [pacer.reserve(now=10.0) for _ in range(5)]  # five callers at the same instant
    assert waits == pytest.approx([0.0, 0.02, 0.04, 0.06, 0.08])


def test_rate_gives_no_burst_credit_for_idle_time() -> None:
    pacer = Pacer(max_rate=10, throttle_backoff=1.0)
    assert pacer.reserve(now=0.0) == 0.0
    assert pacer.reserve(now=100.0) == 0.0  # long idle ...
    assert pacer.reserve(now=100.0) == pytest.approx(0.1)  # ... buys no burst


def test_no_rate_never_waits() -> None:
    pacer = Pacer(max_rate=None, throttle_backoff=1.0)
    assert {pacer.reserve(now=5.0) for _ in range(100)} == {0.0}


# (status answering a request sent under the current epoch, pause started, paused_for at now)
THROTTLE_SEQUENCE = [
    (S.ESME_RTHROTTLED, 0.5, 0.5),  # first throttle: the base pause
    (S.ESME_RTHROTTLED, 1.0, 1.0),  # a repeat doubles
    (S.ESME_RMSGQFUL, 2.0, 2.0),  # queue full counts as a throttle too
    (S.ESME_RTHROTTLED, 3.0, 3.0),  # capped at max_pause
    (S.ESME_ROK, None, 0.0),  # success resets ...
    (S.ESME_RTHROTTLED, 0.5, 0.5),  # ... so the next pause is the base again
    (S.ESME_RINVDSTADR, None, 0.0),  # a permanent error neither pauses nor resets
    (S.ESME_RTHROTTLED, 1.0, 1.0),
]


def test_throttle_pause_doubles_caps_and_resets() -> None:
    pacer = Pacer(max_rate=None, throttle_backoff=0.5, max_pause=3.0)
    now = 0.0
    for status, started, paused in THROTTLE_SEQUENCE:
        now += 10.0  # each answer comes after the previous pause has ended
        assert pacer.on_response(status, pacer.epoch, now) == started, status
        assert pacer.paused_for(now) == pytest.approx(paused)


def test_answers_to_requests_sent_before_the_pause_do_not_double_it() -> None:
    pacer = Pacer(max_rate=None, throttle_backoff=1.0)
    epoch = pacer.epoch  # ten requests in flight, all sent under this epoch
    assert pacer.on_response(S.ESME_RTHROTTLED, epoch, now=0.0) == 1.0
    for _ in range(9):
        assert pacer.on_response(S.ESME_RTHROTTLED, epoch, now=0.1) is None
    assert pacer.on_response(S.ESME_ROK, epoch, now=0.2) is None  # stale success: no reset
    assert pacer.paused_for(0.2) == pytest.approx(0.8)
    assert pacer.on_response(S.ESME_RTHROTTLED, pacer.epoch, now=1.5) == 2.0


@pytest.mark.parametrize(
    ("failures", "random_fraction", "delay"),
    [
        (0, 0.0, 0.25),  # half of the base is fixed
        (0, 1.0, 0.5),
        (1, 1.0, 1.0),
        (3, 0.5, 3.0),  # 4.0 -> 2.0 fixed + 1.0 random
        (10, 1.0, 30.0),  # capped
        (10_000, 0.0, 15.0),  # no overflow for a very long outage
    ],
)
def test_backoff_delay(failures: int, random_fraction: float, delay: float) -> None:
    assert backoff_delay(failures, 0.5, 30.0, random_fraction) == pytest.approx(delay)


@pytest.mark.parametrize(("max_rate", "backoff"), [(0, 1.0), (-1, 1.0), (None, 0.0)])
def test_bad_settings_are_refused(max_rate: float | None, backoff: float) -> None:
    with pytest.raises(ValueError):
        Pacer(max_rate, backoff)
