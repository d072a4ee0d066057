"""Token buckets for sending: tables of (bucket, cost, time) and what comes out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodeord.domain.ratelimit import Bucket, Limit, full, refund, take

LIMIT = Limit(rate=10.0, burst=100)

# (bucket before or None, cost, now) -> (allowed, tokens after, retry_after, never)
CASES = [
    (None, 100, 0.0, (True, 0.0, 0, False)),  # a new bucket is full: the burst passes
    (None, 101, 0.0, (False, 100.0, 0, True)),  # more than the burst never passes
    (None, 1, 5.0, (True, 99.0, 0, False)),
    (Bucket(0.0, 0.0), 1, 0.0, (False, 0.0, 1, False)),  # empty: 0.1 s → 1 whole second
    (Bucket(0.0, 0.0), 10, 0.0, (False, 0.0, 1, False)),  # 10 tokens take 1 s at 10/s
    (Bucket(0.0, 0.0), 11, 0.0, (False, 0.0, 2, False)),  # 1.1 s rounds up
    (Bucket(0.0, 0.0), 100, 0.0, (False, 0.0, 10, False)),
    (Bucket(0.0, 0.0), 10, 1.0, (True, 0.0, 0, False)),  # refilled by then
    (Bucket(0.0, 0.0), 5, 0.25, (False, 2.5, 1, False)),  # 2.5 of 5: 0.25 s → 1 s
    (Bucket(50.0, 0.0), 50, 0.0, (True, 0.0, 0, False)),
    (Bucket(50.0, 0.0), 51, 0.0, (False, 50.0, 1, False)),  # all or nothing
    (Bucket(90.0, 0.0), 100, 60.0, (True, 0.0, 0, False)),  # refill stops at the burst
    (Bucket(10.0, 5.0), 20, 4.0, (False, 10.0, 1, False)),  # a clock going back adds nothing
]


@pytest.mark.parametrize(("bucket", "cost", "now", "expected"), CASES)
def test_take(bucket: Bucket | None, cost: int, now: float, expected: tuple) -> None:
    decision = take(bucket, LIMIT, cost, now)
    found = (decision.allowed, decision.bucket.tokens, decision.retry_after, decision.never)
    assert found == pytest.approx(expected)


def test_a_refused_request_takes_nothing_and_waiting_its_retry_after_is_enough() -> None:
    bucket = Bucket(3.0, 0.0)
    refused = take(bucket, LIMIT, 40, 0.0)
    assert not refused.allowed and refused.bucket.tokens == 3.0
    later = take(refused.bucket, LIMIT, 40, refused.retry_after)
    assert later.allowed


def test_refund_puts_tokens_back_up_to_the_burst() -> None:
    assert refund(Bucket(10.0, 0.0), LIMIT, 5) == Bucket(15.0, 0.0)
    assert refund(Bucket(98.0, 0.0), LIMIT, 5) == Bucket(100.0, 0.0)


@given(
    rate=st.floats(0.01, 10_000),
    burst=st.integers(1, 10_000),
    tokens=st.floats(0, 1),
    cost=st.integers(1, 10_000),
)
def test_retry_after_is_always_enough_and_at_least_one_second(
    rate: float, burst: int, tokens: float, cost: int
) -> None:
    limit = Limit(rate, burst)
    bucket = Bucket(tokens * burst, 0.0)
    decision = take(bucket, limit, cost, 0.0)
    if decision.allowed or decision.never:
        assert decision.never == (cost > burst)
        return
    assert decision.retry_after >= 1
    assert take(decision.bucket, limit, cost, float(decision.retry_after)).allowed


def test_a_full_bucket_holds_the_burst() -> None:
    assert full(LIMIT, 7.0) == Bucket(100.0, 7.0)
