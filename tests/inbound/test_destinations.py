"""The MO destinations (app/mo/destinations/), each with fakes for what it calls: one
attempt per call, reported as an `Attempt` or the job's own outcome. Cases as rows."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kodeord.app.delivery import DeliveryOutcome
from kodeord.app.jobs import InlineJobs, Job, JobKind
from kodeord.app.mo.delivery import MoDelivery
from kodeord.app.mo.destinations import (
    EmailDestination,
    InboxDestination,
    SmppDestination,
    deliverers,
)
from kodeord.app.mo.destinations.email import NO_SMTP
from kodeord.app.mo.destinations.webhook import (
    MAX_SECRET_WAIT,
    NO_SECRET,
    WebhookDestination,
    webhook_payload,
)
from kodeord.app.mo.leased import LeasedDeliveries
from kodeord.app.mo.ports import Attempt, StoredMo
from kodeord.app.worker import RetryAt
from kodeord.domain.routes import EmailRoute, RouteType, SmppRoute, WebhookRoute

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
OK = DeliveryOutcome.delivered(200, 3.0)
MESSAGE = StoredMo(
    id=42,
    recipient="2077",
    sender="+4741234567",
    text="PIZZA stor",
    received_at=NOW,
    segments=1,
    encoding="GSM7",
    number="2077",
    customer_id=7,
    keyword="PIZZA",
    body="stor",
    destination=None,
)


def _job() -> Job:
    return Job(1, JobKind.DELIVER, {"message_id": 42}, 2, NOW, NOW, None)


class Secrets:
    def __init__(self, secret: str | None) -> None:
        self.secret = secret

    async def signing_secret(self, customer_id: int | None) -> str | None:
        return self.secret


class Poster:
    """Records what it was asked to send and answers `outcome`."""

    def __init__(self, outcome: DeliveryOutcome = OK) -> None:
        self.outcome = outcome
        self.sent: list[tuple[Any, ...]] = []

    async def send(self, *args: Any, **kwargs: Any) -> DeliveryOutcome:
        self.sent.append((*args, kwargs))
        return self.outcome


class Binds:
    def __init__(self, attempt: tuple[str, DeliveryOutcome] | None) -> None:
        self.attempt = attempt

    async def deliver_mo(self, message: StoredMo) -> tuple[str, DeliveryOutcome] | None:
        return self.attempt

    def wait_for_bind(self, job: Job) -> RetryAt:
        return RetryAt(NOW, "no bind")


def _deliver(destination: Any, route: Any) -> Any:
    return asyncio.run(destination.deliver(MESSAGE, route, _job()))


def test_the_webhook_payload() -> None:
    assert webhook_payload(MESSAGE) == {
        "type": "message.received",
        "id": "msg_42",
        "number": "2077",
        "to": "2077",
        "keyword": "PIZZA",
        "text": "PIZZA stor",
        "body": "stor",
        "from": "+4741234567",
        "received_at": NOW.isoformat(),
        "segments": 1,
        "encoding": "GSM7",
    }


def test_a_webhook_is_signed() -> None:
    poster = Poster()
    route = WebhookRoute("https://example.com/sms")
    attempt = _deliver(WebhookDestination(Secrets("s3cret"), poster, lambda: NOW), route)
    assert attempt.target == route.url and attempt.outcome == OK
    url, used, webhook_id, _payload, kwargs = poster.sent[0]
    assert (url, used, webhook_id, kwargs) == (route.url, "s3cret", "msg_42", {"timestamp": NOW})


@pytest.mark.parametrize(
    ("attempts", "pause"),
    [
        (1, timedelta(seconds=2)),
        (4, timedelta(seconds=16)),
        (9, MAX_SECRET_WAIT),
        (50, MAX_SECRET_WAIT),
    ],
)
def test_without_a_signing_secret_the_job_waits_and_never_dies(
    attempts: int, pause: timedelta
) -> None:
    poster = Poster()
    job = Job(1, JobKind.DELIVER, {"message_id": 42}, attempts, NOW, NOW, None)
    destination = WebhookDestination(Secrets(None), poster, lambda: NOW)
    outcome = asyncio.run(
        destination.deliver(MESSAGE, WebhookRoute("https://example.com/sms"), job)
    )
    assert outcome == RetryAt(NOW + pause, NO_SECRET)
    assert poster.sent == []  # nothing unsigned goes out


@pytest.mark.parametrize(
    ("poster", "expected"),
    [
        (Poster(), OK),
        (None, DeliveryOutcome.failed(NO_SMTP, 0.0)),
    ],
)
def test_email(poster: Poster | None, expected: DeliveryOutcome) -> None:
    attempt = _deliver(EmailDestination(poster), EmailRoute("ola@example.no"))
    assert attempt == Attempt("ola@example.no", expected)
    if poster is not None:
        ((to, subject, text, kwargs),) = poster.sent
        assert (to, subject, text) == (
            "ola@example.no",
            "SMS til 2077 fra +4741234567",
            "PIZZA stor",
        )
        assert kwargs == {"message_id": "msg_42"}


@pytest.mark.parametrize(
    ("binds", "expected"),
    [
        (None, Attempt(None, DeliveryOutcome.delivered(None, 0.0))),  # no SMPP server: kept
        (Binds(("esme1", OK)), Attempt("esme1", OK)),
        (Binds(None), RetryAt(NOW, "no bind")),  # none bound: the job waits
    ],
)
def test_smpp(binds: Binds | None, expected: object) -> None:
    assert _deliver(SmppDestination(binds), SmppRoute()) == expected


def test_the_inbox_keeps_the_message() -> None:
    attempt = _deliver(InboxDestination(), None)
    assert attempt.outcome.ok and not attempt.outcome.retryable and attempt.target is None


def test_every_route_type_has_a_deliverer() -> None:
    registry = deliverers(
        webhook=WebhookDestination(Secrets(None), Poster(), lambda: NOW),
        email=EmailDestination(None),
        sms=object(),  # type: ignore[arg-type]
        smpp=SmppDestination(None),
    )
    assert set(registry) == set(RouteType)


class FakeTx:
    def __init__(self) -> None:
        self.attempts: list[Any] = []
        self.statuses: list[Any] = []
        self.completed: list[tuple[list[int], str | None]] = []
        self.mo_messages = self
        self.jobs = self

    async def record_attempts(self, attempts: Any, statuses: Any) -> None:
        self.attempts.extend(attempts)
        self.statuses.extend(statuses)

    async def complete(self, job_ids: Any, worker: str | None) -> set[int]:
        self.completed.append((list(job_ids), worker))
        return set(job_ids)

    async def get_many(self, ids: Any) -> dict[int, StoredMo]:
        return {MESSAGE.id: MESSAGE}


class FakeStorage:
    write_concurrency = 1
    single_node = True

    def __init__(self) -> None:
        self.tx = FakeTx()

    def read(self) -> Any:
        tx = self.tx

        class Unit:
            async def __aenter__(self) -> FakeTx:
                return tx

            async def __aexit__(self, *exc: object) -> None:
                return None

        return Unit()

    async def write(self, fn: Any) -> Any:
        return await fn(self.tx)


@dataclass
class FakeContext:
    """What the delivery service uses of its context: storage and the clock."""

    storage: FakeStorage
    clock: Callable[[], datetime] = lambda: NOW


class Fixed:
    def __init__(self, result: Any) -> None:
        self.result = result

    async def deliver(self, message: StoredMo, route: Any, job: Job) -> Any:
        return self.result


@pytest.mark.parametrize(
    ("result", "outcome", "status"),
    [
        (Attempt("u", OK), "Settled", "delivered"),
        (Attempt("u", DeliveryOutcome.failed("HTTP 503", 1.0)), "RetryAt", None),
        (Attempt("u", DeliveryOutcome.failed("refused", 1.0, retryable=False)), "Dead", "failed"),
        (RetryAt(NOW, "no bind"), "RetryAt", None),  # settled by the deliverer: not recorded
    ],
)
def test_what_delivery_makes_of_an_attempt(result: Any, outcome: str, status: str | None) -> None:
    storage = FakeStorage()
    ctx = FakeContext(storage)
    registry = {kind: Fixed(result) for kind in RouteType}
    delivery = MoDelivery(ctx, registry, LeasedDeliveries(InlineJobs()))  # type: ignore[arg-type]
    got = asyncio.run(delivery.deliver(_job()))
    assert type(got).__name__ == outcome
    recorded = isinstance(result, Attempt)
    assert len(storage.tx.attempts) == int(recorded)
    if recorded:
        (attempt,) = storage.tx.attempts
        assert (attempt.message_id, attempt.destination, attempt.attempt) == (42, "inbox", 2)
    assert [s.status for s in storage.tx.statuses] == ([status] if status else [])
    assert storage.tx.completed == ([([1], None)] if outcome == "Settled" else [])
