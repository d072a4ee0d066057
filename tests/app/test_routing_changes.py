"""`RoutingChanges`: what a reader at a position is told, one row per case."""

from __future__ import annotations

import pytest

from kodeord.app.keywords.changes import RoutingChanges

# (changes told, the reader's position, what it is told, its next position), keep=3
CASES = [
    ([], 0, [], 0),
    (["2077"], 0, ["2077"], 1),
    (["2077", None, "2078"], 1, [None, "2078"], 3),
    (["2077", "2078"], 2, [], 2),
    (["1", "2", "3", "4"], 1, ["2", "3", "4"], 4),  # exactly the log's length behind
    (["1", "2", "3", "4"], 0, [None], 4),  # further behind than the log: everything
    (["1"], 5, [], 1),  # a position from the future (a new log): nothing, and catch up
]


@pytest.mark.parametrize(("told", "position", "expected", "after"), CASES)
def test_since(
    told: list[str | None], position: int, expected: list[str | None], after: int
) -> None:
    changes = RoutingChanges(keep=3)
    for number in told:
        changes.changed(number)
    assert changes.since(position) == (after, expected)


def test_a_new_reader_starts_at_the_current_position() -> None:
    changes = RoutingChanges()
    changes.changed("2077")
    assert changes.since(changes.position) == (1, [])
