"""Every routing decision records the same columns, so a batch of MOs with mixed
decisions can be inserted as one (adapters/db/bulk.py needs equal rows); and what each
decision records, one row per kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kodeord.adapters.db.mo_messages import routing_columns
from kodeord.app.mo.routing import Routed
from kodeord.domain.messages import MessageStatus
from kodeord.domain.routes import InboxRoute, WebhookRoute
from kodeord.domain.routing import Decision, DecisionKind, Step

NOW = datetime(2026, 11, 26, tzinfo=UTC)
HOOK = WebhookRoute("https://example.com/sms")


@pytest.mark.parametrize("kind", list(DecisionKind))
def test_every_decision_has_the_same_columns(kind: DecisionKind) -> None:
    deliver = Decision(kind=DecisionKind.DELIVER, step=Step.KEYWORD, number="2077", body="x")
    other = Decision(kind=kind, step=Step.NO_MATCH, number="2077", body="x")
    routed = routing_columns(Routed(deliver, InboxRoute()).record(NOW))
    assert routing_columns(Routed(other, None).record(NOW)).keys() == routed.keys()


@pytest.mark.parametrize(
    ("kind", "status", "customer_id", "destination"),
    [
        (DecisionKind.DELIVER, MessageStatus.ROUTED, 7, HOOK),
        (DecisionKind.OPT_OUT, MessageStatus.OPT_OUT, 7, None),
        (DecisionKind.HELP, MessageStatus.HELP, 7, None),
        (DecisionKind.OPERATOR_INBOX, MessageStatus.INBOX, None, None),
        (DecisionKind.UNKNOWN_NUMBER, MessageStatus.INBOX, None, None),
    ],
)
def test_what_a_decision_records(
    kind: DecisionKind,
    status: MessageStatus,
    customer_id: int | None,
    destination: WebhookRoute | None,
) -> None:
    decision = Decision(kind=kind, step=Step.KEYWORD, number="2077", customer_id=7, body="x")
    record = Routed(decision, HOOK).record(NOW)
    assert (record.status, record.customer_id, record.destination) == (
        status,
        customer_id,
        destination,
    )
    assert (record.number, record.routed_at, record.route_step) == ("2077", NOW, Step.KEYWORD)
    columns = routing_columns(record)
    assert columns["destination"] == (None if destination is None else destination.to_json())
