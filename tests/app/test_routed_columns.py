"""Every routing decision records the same columns, so a batch of MOs with mixed
decisions can be inserted as one (adapters/db/bulk.py needs equal rows)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kodeord.app.mo.delivery import Routed
from kodeord.domain.routing import Decision, DecisionKind, Step


@pytest.mark.parametrize("kind", list(DecisionKind))
def test_every_decision_has_the_same_columns(kind: DecisionKind) -> None:
    deliver = Decision(kind=DecisionKind.DELIVER, step=Step.KEYWORD, number="2077", body="x")
    other = Decision(kind=kind, step=Step.NO_MATCH, number="2077", body="x")
    now = datetime(2026, 11, 26, tzinfo=UTC)
    routed = Routed(deliver, {"type": "inbox"}).columns(now)
    assert Routed(other, None).columns(now).keys() == routed.keys()
