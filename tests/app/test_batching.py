"""Batcher: calls that arrive together share one call of the batch function."""

from __future__ import annotations

import asyncio

import pytest

from kodeord.app.batching import Batcher
from tests.support import async_test_within


@async_test_within(10)
async def test_concurrent_calls_share_batches_and_get_their_own_results() -> None:
    batches: list[list[int]] = []

    async def square(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [i * i for i in items]

    batcher: Batcher[int, int] = Batcher(square, max_batch=40)
    results = await asyncio.gather(*(batcher.call(i) for i in range(100)))
    assert results == [i * i for i in range(100)]
    assert sorted(i for batch in batches for i in batch) == list(range(100))
    assert len(batches) < 10 and max(len(b) for b in batches) <= 40


@async_test_within(10)
async def test_a_failing_batch_fails_its_callers_only() -> None:
    async def picky(items: list[int]) -> list[int]:
        if 13 in items:
            raise ValueError("unlucky")
        return items

    batcher: Batcher[int, int] = Batcher(picky, max_batch=1)
    results = await asyncio.gather(*(batcher.call(i) for i in (12, 13, 14)), return_exceptions=True)
    assert results[0] == 12 and results[2] == 14
    assert isinstance(results[1], ValueError)
    with pytest.raises(ValueError):
        await batcher.call(13)


@async_test_within(10)
async def test_concurrency_bounds_the_batches_in_flight() -> None:
    in_flight = 0
    most = 0
    release = asyncio.Event()

    async def slow(items: list[int]) -> list[int]:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await release.wait()
        in_flight -= 1
        return items

    batcher: Batcher[int, int] = Batcher(slow, max_batch=5, concurrency=3)
    calls = [asyncio.ensure_future(batcher.call(i)) for i in range(40)]
    await asyncio.sleep(0.05)
    assert most == 3  # three batches started at once, the rest wait for one to end
    release.set()
    assert await asyncio.gather(*calls) == list(range(40))
    assert most == 3


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Batcher(lambda items: asyncio.sleep(0, items), concurrency=0)


@async_test_within(10)
async def test_a_call_right_after_a_batch_ends_starts_a_new_one() -> None:
    """A call that arrives when the flusher has just found nothing more to do (its task
    not yet marked done) must still be run."""
    batcher: Batcher[int, int] = Batcher(lambda items: asyncio.sleep(0, items))
    for round_ in range(50):
        assert await batcher.call(round_) == round_
        assert await batcher.call(-round_) == -round_  # at once, in the same loop turn
