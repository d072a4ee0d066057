"""Virtual phones: long messages reassembled in any order, missing parts kept on timeout."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from kodeord.adapters.simulator.operator import TokenBucket
from kodeord.adapters.simulator.phones import PhoneBook, phone_key
from kodeord.smpp.message import compose, read_body
from kodeord.smpp.pdu import SubmitSm

WALL = datetime(2026, 11, 26, tzinfo=UTC)


def _parts(content: str) -> list:  # type: ignore[type-arg]
    return [
        read_body(
            SubmitSm(
                short_message=p.short_message,
                esm_class=p.esm_class_bits,
                data_coding=p.data_coding,
                tlvs=p.tlvs,
            )
        )
        for p in compose(content, ref=42).parts
    ]


@pytest.mark.parametrize("address", ["+4741234567", "4741234567", "004741234567"])
def test_phone_key(address: str) -> None:
    assert phone_key(address) == "4741234567"


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_parts_in_any_order_make_one_message(order: tuple[int, ...]) -> None:
    book = PhoneBook()
    content = "Blåbær og € " * 30
    parts = _parts(content)
    results = [book.receive("2077", "+4741234567", parts[i], f"id{i}", 1.0, WALL) for i in order]
    assert results[:-1] == [None, None]
    (message,) = book.messages("4741234567")
    assert message.text == content and message.parts == 3 and message.complete
    assert sorted(message.message_ids) == ["id0", "id1", "id2"]


def test_missing_parts_are_kept_when_time_runs_out() -> None:
    book = PhoneBook(reassembly_timeout=10)
    parts = _parts("æ" * 300)
    book.receive("2077", "4741234567", parts[0], "a", 0.0, WALL)
    book.expire(5.0, WALL)
    assert book.messages("4741234567") == []
    book.expire(11.0, WALL)
    (message,) = book.messages("4741234567")
    assert not message.complete and message.text == "æ" * 153


def test_token_bucket() -> None:
    bucket = TokenBucket(rate=100, now=0.0)
    taken = sum(bucket.take(0.0) for _ in range(50))
    assert taken == 10  # a burst of rate/10
    assert bucket.take(0.005) is False
    assert bucket.take(0.011) is True
