"""Retention (GDPR) on a real database (SQLite, and PostgreSQL when its URL is set), with
a clock the test sets: which messages lose their text and phone number, every copy
erased, what stays (counts and bills add up), leftovers deleted, and the setting."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.schema import (
    delivery_attempts,
    message_events,
    messages,
    mo_parts,
    opt_outs,
)
from kodeord.adapters.queue.schema import jobs
from kodeord.app.accounts.customers import Principal
from kodeord.app.mt import messages as message_use_cases
from kodeord.app.mt.outbound import FINAL
from kodeord.app.retention import Retention, Swept
from kodeord.config import Settings, SettingsError
from kodeord.domain.messages import FINAL_STATUSES
from kodeord.wiring import make_context
from tests.queue.support import NOW, FakeClock, run_with_database

PHONE = "+4791234567"
FORWARD = {"type": "sms", "to": "+4798765432"}
WEBHOOK = {"type": "webhook", "url": "https://93.184.215.14/hook"}
EMAIL = {"type": "email", "to": "ola@pizza.example"}

# (direction, status, age in days, destination, erased after a 90-day sweep)
MESSAGES = [
    ("inbound", "delivered", 100, FORWARD, True),
    ("inbound", "failed", 91, WEBHOOK, True),
    ("inbound", "delivered", 400, EMAIL, True),
    ("inbound", "inbox", 365, None, True),
    ("inbound", "opt_out", 100, None, True),
    ("inbound", "help", 100, None, True),
    ("inbound", "routed", 100, WEBHOOK, False),  # not ended: kept until it is
    ("inbound", "received", 200, None, False),
    ("inbound", "delivered", 89, FORWARD, False),  # not old enough
    ("outbound", "delivered", 120, None, True),
    ("outbound", "expired", 95, None, True),
    ("outbound", "rejected", 95, None, True),
    ("outbound", "cancelled", 95, None, True),
    ("outbound", "queued", 100, None, False),  # scheduled far ahead, say
    ("outbound", "sent", 100, None, False),  # its receipt may still come
    ("outbound", "failed", 10, None, False),
]


def _message(direction: str, status: str, age: int, destination: Any) -> dict[str, Any]:
    inbound = direction == "inbound"
    return {
        "direction": direction,
        "status": status,
        "number": "2077",
        "recipient": "2077" if inbound else PHONE,
        "sender": PHONE if inbound else "2077",
        "text": "PIZZA to margherita, Storgata 1",
        "body": "to margherita, Storgata 1" if inbound else None,
        "keyword": "PIZZA",
        "destination": destination,
        "data_coding": 0,
        "encoding": "GSM7",
        "segments": 2,
        "price_ore": None if inbound else 98,
        "reference": "ordre-17",
        "received_at": NOW - timedelta(days=age),
    }


async def _seed(db: Database) -> list[int]:
    async with db.transaction() as conn:
        ids = []
        for direction, status, age, destination, _ in MESSAGES:
            values = _message(direction, status, age, destination)
            found = await conn.execute(insert(messages).values(values).returning(messages.c.id))
            ids.append(found.scalar_one())
        at = NOW - timedelta(days=100)
        for id_ in ids:
            attempt = {"message_id": id_, "destination": "email", "target": "ola@pizza.example"}
            attempt |= {"attempt": 1, "ok": False, "status_code": 550, "duration_ms": 3.0}
            attempt |= {"error": "550 <ola@pizza.example>: no such user", "at": at}
            await conn.execute(insert(delivery_attempts).values(attempt))
            event = {"message_id": id_, "status": "failed", "detail": f"to {PHONE}", "at": at}
            await conn.execute(insert(message_events).values(event))
        await conn.execute(insert(opt_outs).values(number="2077", phone=PHONE, created_at=at))
    return ids


async def _totals(db: Database) -> tuple[Any, ...]:
    async with db.read() as conn:
        query = select(
            func.count(),
            func.sum(messages.c.segments),
            func.sum(messages.c.price_ore),
            func.count(messages.c.keyword),
            func.min(messages.c.received_at),
        )
        return tuple((await conn.execute(query)).one())


async def _rows(db: Database, table: Any, ids: list[int]) -> dict[int, Any]:
    column = table.c.id if table is messages else table.c.message_id
    async with db.read() as conn:
        found = (await conn.execute(select(table).where(column.in_(ids)))).all()
    return {row.id if table is messages else row.message_id: row for row in found}


def _check_message(row: Any, case: tuple[str, str, int, Any, bool], now: datetime) -> None:
    direction, status, age, destination, erased = case
    seeded = _message(direction, status, age, destination)
    kept = {"status", "number", "keyword", "segments", "price_ore", "reference", "received_at"}
    assert {k: getattr(row, k) for k in kept} == {k: seeded[k] for k in kept}
    if not erased:
        assert row.erased_at is None
        assert (row.text, row.body, row.sender, row.recipient, row.destination) == (
            seeded["text"],
            seeded["body"],
            seeded["sender"],
            seeded["recipient"],
            destination,
        )
        return
    assert row.erased_at == now and (row.text, row.body) == ("", None)
    # the phone number goes; our short number on the other side stays
    assert (row.sender, row.recipient) == (("", "2077") if direction == "inbound" else ("2077", ""))
    assert row.destination == (None if destination is None else {"type": destination["type"]})


def test_ended_messages_lose_text_and_phone_everywhere_and_bills_still_add_up(
    database_url: str,
) -> None:
    async def scenario(db: Database) -> None:
        clock = FakeClock()
        ctx = make_context(db, clock=clock)
        ids = await _seed(db)
        before = await _totals(db)
        # small batches and windows: several of each in one sweep
        retention = Retention(ctx, 90, batch=2, window=3)
        swept = await retention.sweep(clock())
        assert swept.messages == sum(case[-1] for case in MESSAGES)
        assert await _totals(db) == before
        rows = await _rows(db, messages, ids)
        attempts = await _rows(db, delivery_attempts, ids)
        events = await _rows(db, message_events, ids)
        for id_, case in zip(ids, MESSAGES, strict=True):
            _check_message(rows[id_], case, clock())
            erased = case[-1]
            attempt, event = attempts[id_], events[id_]
            assert (attempt.target is None, attempt.error is None) == (erased, erased), case
            assert (attempt.ok, attempt.status_code, attempt.destination) == (False, 550, "email")
            assert (event.detail is None, event.status) == (erased, "failed"), case
        # the message API shows when it was erased
        admin = Principal(customer_id=None)
        shown = await message_use_cases.get_message(ctx, admin, ids[0])
        assert (shown["erased_at"], shown["text"], shown["from"]) == (clock(), "", "")
        assert shown["attempts"][0]["target"] is None
        # the opt-out stays: it is what stops us sending
        async with db.read() as conn:
            assert (await conn.execute(select(func.count()).select_from(opt_outs))).scalar() == 1
        # a second sweep finds nothing new; a message that ended meanwhile goes next time
        assert (await retention.sweep(clock())).messages == 0
        late = ids[[case[1] for case in MESSAGES].index("sent")]
        async with db.transaction() as conn:
            await conn.execute(
                messages.update().where(messages.c.id == late).values(status="delivered")
            )
        assert (await retention.sweep(clock())).messages == 1

    run_with_database(database_url, scenario)


def _job(status: str, age: int, payload: dict[str, Any]) -> dict[str, Any]:
    at = NOW - timedelta(days=age)
    return {
        "kind": "receipt",
        "payload": payload,
        "status": status,
        "attempts": 1,
        "run_at": at,
        "created_at": at,
        "updated_at": at,
    }


def test_old_finished_jobs_and_stray_parts_are_deleted(database_url: str) -> None:
    receipt = {"source_addr": PHONE.lstrip("+"), "short_message": "id:1 stat:DELIVRD text:Hei"}
    seeded_jobs = [
        ("dead", 100, True),
        ("done", 91, True),
        ("dead", 30, False),
        ("queued", 100, False),  # not finished: never deleted here
        ("running", 100, False),
    ]
    seeded_parts = [(100, True), (91, True), (1, False)]

    async def scenario(db: Database) -> None:
        clock = FakeClock()
        async with db.transaction() as conn:
            for status, age, _ in seeded_jobs:
                await conn.execute(insert(jobs).values(_job(status, age, receipt)))
            for seq, (age, _) in enumerate(seeded_parts, start=1):
                part = {"sender": PHONE, "recipient": "2077", "ref": 7, "total": 4, "seq": seq}
                part |= {"data_coding": 0, "payload": b"Hei", "received_at": NOW - timedelta(age)}
                await conn.execute(insert(mo_parts).values(part))
        swept = await Retention(make_context(db, clock=clock), 90, batch=1).sweep(clock())
        assert swept == Swept(messages=0, parts=2, jobs=2)
        async with db.read() as conn:
            left = (await conn.execute(select(jobs.c.status, jobs.c.run_at))).all()
            parts = (await conn.execute(select(mo_parts.c.seq))).scalars().all()
        kept = [(s, NOW - timedelta(days=a)) for s, a, gone in seeded_jobs if not gone]
        assert sorted(left) == sorted(kept)
        assert parts == [3]

    run_with_database(database_url, scenario)


def test_sweeps_run_at_most_hourly_and_never_with_zero_days(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        clock = FakeClock()
        await _seed(db)
        ctx = make_context(db, clock=clock)
        off = Retention(ctx, 0)
        assert await off.run_if_due() is None
        assert await off.sweep(clock()) == Swept()
        retention = Retention(ctx, 90)
        first = await retention.run_if_due()
        assert first is not None and first.messages > 0
        clock.advance(59 * 60)
        assert await retention.run_if_due() is None
        clock.advance(60)
        # an hour later: a sweep, and 89-day-old messages are not 90 days old yet
        assert await retention.run_if_due() == Swept()
        clock.advance(24 * 3600)  # now they are
        assert await retention.run_if_due() == Swept(messages=1)
        clock.advance(3600)
        assert (await retention.run_if_due()) == Swept()

    run_with_database(database_url, scenario)


@pytest.mark.parametrize(
    ("value", "days"),
    [
        (None, 90),
        ("90", 90),
        ("0", 0),
        ("1", 1),
        ("3650", 3650),
        ("3651", None),
        ("-1", None),
        ("30d", None),
        ("", None),
        ("1.5", None),
    ],
)
def test_retention_days_setting(
    monkeypatch: pytest.MonkeyPatch, value: str | None, days: int | None
) -> None:
    if value is None:
        monkeypatch.delenv("KODEORD_RETENTION_DAYS", raising=False)
    else:
        monkeypatch.setenv("KODEORD_RETENTION_DAYS", value)
    if days is None:
        with pytest.raises(SettingsError, match="KODEORD_RETENTION_DAYS"):
            Settings.load(simulator=False)
    else:
        assert Settings.load(simulator=False).retention_days == days


def test_every_final_status_of_an_mt_is_erasable() -> None:
    assert FINAL <= FINAL_STATUSES
