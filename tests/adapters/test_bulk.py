"""Bulk inserts (adapters/db/bulk.py) and their callers on SQLite and PostgreSQL.

Rows go in through `Database` into the migrated schema and are read back with plain
SELECTs: each id must name exactly its own row's values (JSON, NULLs, UTC timestamps,
unicode), ids must come in the order of the rows, and the MO dedupe upsert and grouped
status updates built on top must write what they say.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.db.engine import Database, database_urls
from kodeord.adapters.db.mo_messages import MoMessageRepository
from kodeord.adapters.db.mo_seen import MoSeenRepository
from kodeord.adapters.db.schema import delivery_attempts, messages, mo_seen
from kodeord.adapters.queue import store
from kodeord.adapters.queue.schema import jobs
from kodeord.app.mo.ports import DeliveryAttempt, FinalStatus
from kodeord.domain.messages import MessageStatus
from tests.queue.support import NOW, run_with_database

OSLO_WINTER = timezone(timedelta(hours=1))


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def message(text: str, **columns: Any) -> dict[str, Any]:
    """A messages row with every column given (bulk rows must share their keys)."""
    row: dict[str, Any] = {
        "direction": "inbound",
        "status": "received",
        "customer_id": None,
        "number": "2077",
        "recipient": "2077",
        "sender": "+4791234567",
        "text": text,
        "body": None,
        "keyword": None,
        "lease_id": None,
        "route_step": None,
        "destination": None,
        "data_coding": 0,
        "encoding": "gsm7",
        "segments": 1,
        "link": None,
        "operator_ref": None,
        "received_at": NOW,
        "routed_at": None,
        "delivered_at": None,
    }
    return row | columns


# One row per case; the texts are distinct so a row read back names its input.
MESSAGES = [
    message(
        "BLÅBÆR på øya 🫐",
        keyword="BLÅBÆR",
        body="på øya 🫐",
        destination={"type": "webhook", "url": "https://eksempel.no/æøå", "tags": ["🎉", None]},
        routed_at=at(1.5),
        data_coding=8,
        encoding="ucs2",
    ),
    message("no destination", destination=None, operator_ref="abc-1"),
    message(
        "nested JSON",
        destination={"type": "email", "to": "ola@eksempel.no", "meta": {"n": 1, "ok": True}},
        customer_id=None,
        segments=3,
    ),
    message(
        "not UTC in, UTC out",
        received_at=datetime(2026, 11, 26, 13, 0, 0, 123456, tzinfo=OSLO_WINTER),
        delivered_at=datetime(2026, 11, 26, 14, 30, tzinfo=OSLO_WINTER),
        status="delivered",
    ),
    message("", sender="KODEORD", link="telenor-1", received_at=at(-3600)),
]

Scenario = Callable[[Database], Awaitable[None]]


def run(database_url: str, scenario: Scenario) -> None:
    run_with_database(database_url, scenario)


async def rows_by_id(db: Database, table: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
    async with db.read() as conn:
        result = await conn.execute(select(table).where(table.c.id.in_(ids)))
        return {row.id: dict(row._mapping) for row in result.all()}


async def count(db: Database, table: Any) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


def assert_utc(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if isinstance(value, datetime):
            assert value.utcoffset() == timedelta(0), name


def test_insert_with_ids_gives_each_row_its_own_id_in_order(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            ids = await bulk.insert_with_ids(conn, messages, MESSAGES)
        assert len(ids) == len(set(ids)) == len(MESSAGES)
        assert ids == sorted(ids)
        stored = await rows_by_id(db, messages, ids)
        for id_, row in zip(ids, MESSAGES, strict=True):
            assert {name: stored[id_][name] for name in ("id", *row)} == {"id": id_, **row}
            rest = {name: value for name, value in stored[id_].items() if name not in row}
            assert rest == {"id": id_} | dict.fromkeys(set(rest) - {"id"})
            assert_utc(stored[id_])
        # equal instants, and written as UTC: 13:00:00.123456+01:00 is 12:00:00.123456Z
        assert stored[ids[3]]["received_at"] == NOW.replace(microsecond=123456)
        assert stored[ids[3]]["received_at"].tzinfo == UTC

    run(database_url, scenario)


def test_consecutive_insert_with_ids_give_disjoint_ascending_ids(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            first = await bulk.insert_with_ids(conn, messages, MESSAGES[:2])
        async with db.transaction() as conn:
            second = await bulk.insert_with_ids(conn, messages, MESSAGES[2:])
        assert len(first) == 2 and len(second) == len(MESSAGES) - 2
        assert first == sorted(first) and second == sorted(second)
        assert max(first) < min(second)
        stored = await rows_by_id(db, messages, first + second)
        assert [stored[id_]["text"] for id_ in first + second] == [m["text"] for m in MESSAGES]

    run(database_url, scenario)


def test_insert_with_ids_keeps_the_order_of_many_rows(database_url: str) -> None:
    """More rows than one SQLite insertmanyvalues page (1,000), texts in reverse order."""
    rows = [message(f"{n:05d} æ", received_at=at(-n)) for n in reversed(range(1500))]

    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            ids = await bulk.insert_with_ids(conn, messages, rows)
        async with db.read() as conn:
            found = dict((await conn.execute(select(messages.c.id, messages.c.text))).all())
        assert [found[id_] for id_ in ids] == [row["text"] for row in rows]

    run(database_url, scenario)


def test_empty_input_inserts_nothing(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            assert await bulk.insert_with_ids(conn, messages, []) == []
            await bulk.insert_rows(conn, delivery_attempts, [])
            assert await bulk.insert_rows_returning(conn, jobs, [], "RETURNING id") == []
            await MoSeenRepository(conn).remember([], NOW)
            assert await MoSeenRepository(conn).seen_keys([], NOW) == set()
        for table in (messages, delivery_attempts, jobs, mo_seen):
            assert await count(db, table) == 0
        async with db.transaction() as conn:  # an empty call used no id either
            [id_] = await bulk.insert_with_ids(conn, messages, MESSAGES[:1])
        assert id_ == 1

    run(database_url, scenario)


def attempt(message_id: int, n: int, **columns: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "message_id": message_id,
        "destination": "webhook",
        "target": "https://eksempel.no/hook",
        "attempt": n,
        "ok": True,
        "status_code": 200,
        "error": None,
        "duration_ms": 12.5,
        "at": at(n),
    }
    return row | columns


def test_insert_rows_writes_delivery_attempts(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            first, second = await bulk.insert_with_ids(conn, messages, MESSAGES[:2])
            rows = [
                attempt(first, 1, ok=False, status_code=503, error="Tjenesten er nede ☠"),
                attempt(first, 2),
                attempt(second, 1, destination="email", target=None, status_code=None),
                attempt(second, 2, destination="inbox", target=None, duration_ms=0.0),
            ]
            await bulk.insert_rows(conn, delivery_attempts, rows)
        async with db.read() as conn:
            stored = [dict(row._mapping) for row in (await conn.execute(select(delivery_attempts)))]
        for row in stored:
            assert_utc(row)
            del row["id"]
        key = lambda row: (row["message_id"], row["attempt"])  # noqa: E731
        assert sorted(stored, key=key) == sorted(rows, key=key)

    run(database_url, scenario)


@pytest.fixture
def empty_jobs(postgres_database: str) -> Iterator[str]:
    """The PostgreSQL test database with an empty jobs table."""
    engine = create_engine(database_urls(postgres_database).migrations)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE jobs RESTART IDENTITY"))
    engine.dispose()
    yield postgres_database


def job(key: str, n: int) -> dict[str, Any]:
    return store.new_job_values("deliver", {"n": n, "tekst": "blåbær 🫐"}, NOW, key, NOW)


SKIP_KNOWN_KEYS = "ON CONFLICT (dedupe_key) DO NOTHING"


async def insert_jobs(db: Database, rows: list[dict[str, Any]], suffix: str) -> list[Any]:
    async with db.transaction() as conn:
        return await bulk.insert_rows_returning(conn, jobs, rows, suffix)


@pytest.mark.postgres
def test_insert_rows_returning_skips_existing_dedupe_keys(empty_jobs: str) -> None:
    returning = SKIP_KNOWN_KEYS + " RETURNING dedupe_key, id"

    async def scenario(db: Database) -> None:
        first = await insert_jobs(db, [job("a", 1), job("b", 2)], returning)
        assert [key for key, _ in first] == ["a", "b"]
        second = await insert_jobs(
            db, [job("b", 20), job("c", 3), job("a", 10), job("d", 4)], returning
        )
        assert sorted(key for key, _ in second) == ["c", "d"]
        assert await insert_jobs(db, [job("c", 30)], returning) == []
        ids = dict(first + second)
        stored = await rows_by_id(db, jobs, list(ids.values()))
        # each returned id is its key's row, and the rows already there were left alone
        assert {key: stored[id_]["dedupe_key"] for key, id_ in ids.items()} == {k: k for k in ids}
        assert {key: stored[id_]["payload"]["n"] for key, id_ in ids.items()} == {
            "a": 1,
            "b": 2,
            "c": 3,
            "d": 4,
        }
        assert await count(db, jobs) == 4
        # without RETURNING: nothing comes back, and still only the new key goes in
        assert await insert_jobs(db, [job("d", 40), job("e", 5)], SKIP_KNOWN_KEYS) == []
        assert await count(db, jobs) == 5

    run(empty_jobs, scenario)


async def seen(db: Database) -> dict[str, tuple[int, datetime]]:
    async with db.read() as conn:
        rows = (await conn.execute(select(mo_seen))).all()
    return {row.key: (row.message_id, row.seen_at) for row in rows}


def test_remembering_seen_keys_inserts_and_refreshes(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            await MoSeenRepository(conn).remember([("k1", 1), ("k2", 2)], NOW)
        assert await seen(db) == {"k1": (1, NOW), "k2": (2, NOW)}
        async with db.transaction() as conn:
            await MoSeenRepository(conn).remember([("k1", 10), ("k3", 3)], at(60))
        assert await seen(db) == {"k1": (10, at(60)), "k2": (2, NOW), "k3": (3, at(60))}
        async with db.transaction() as conn:
            await MoSeenRepository(conn).remember([("k2", 20)], at(90))
        assert (await seen(db))["k2"] == (20, at(90))

    run(database_url, scenario)


SEEN_SINCE = [
    # since, keys seen at or after it (k1 at NOW, k2 at NOW + 60 s)
    (at(-1), {"k1", "k2"}),
    (NOW, {"k1", "k2"}),
    (at(1), {"k2"}),
    (at(60), {"k2"}),
    (at(61), set()),
]


@pytest.mark.parametrize(("since", "expected"), SEEN_SINCE)
def test_seen_keys_returns_only_keys_seen_since(
    database_url: str, since: datetime, expected: set[str]
) -> None:
    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            await MoSeenRepository(conn).remember([("k1", 1)], NOW)
            await MoSeenRepository(conn).remember([("k2", 2)], at(60))
        async with db.read() as conn:
            assert (
                await MoSeenRepository(conn).seen_keys(["k1", "k2", "unknown"], since) == expected
            )
            assert await MoSeenRepository(conn).seen_keys(["k1"], since) == expected & {"k1"}

    run(database_url, scenario)


def test_record_attempts_sets_each_group_of_statuses(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            ids = await bulk.insert_with_ids(conn, messages, [message(f"m{n}") for n in range(4)])
        one, two, three, untouched = ids
        statuses = [
            FinalStatus(one, MessageStatus.DELIVERED, at(5)),
            FinalStatus(two, MessageStatus.FAILED, None),
            FinalStatus(three, MessageStatus.DELIVERED, at(5)),
        ]
        rows = [attempt(one, 1), attempt(two, 1, ok=False, error="410"), attempt(three, 1)]
        attempts = [DeliveryAttempt(**row) for row in rows]

        async def record(conn: AsyncConnection) -> None:
            await MoMessageRepository(conn).record_attempts(attempts, statuses)

        await db.write(record)
        stored = await rows_by_id(db, messages, ids)
        assert {id_: (row["status"], row["delivered_at"]) for id_, row in stored.items()} == {
            one: ("delivered", at(5)),
            two: ("failed", None),
            three: ("delivered", at(5)),
            untouched: ("received", None),
        }
        async with db.read() as conn:
            found = (await conn.execute(select(delivery_attempts.c.message_id))).scalars()
            assert sorted(found) == [one, two, three]

    run(database_url, scenario)


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(message("for lang", keyword="K" * 17), id="string-longer-than-its-column"),
        pytest.param(message("naiv tid", received_at=datetime(2026, 11, 26, 12)), id="naive"),
    ],
)
def test_a_value_the_column_refuses_fails_as_a_plain_insert_does(
    database_url: str, row: dict[str, Any]
) -> None:
    """Never cut or reinterpreted quietly: the bulk path refuses what a plain insert
    refuses and stores, uncut, what a plain insert stores (SQLite keeps long strings)."""

    async def scenario(db: Database) -> None:
        try:
            async with db.transaction() as conn:
                await conn.execute(insert(messages).values(**row))
                await conn.rollback()
            plain_refuses = False
        except Exception:
            plain_refuses = True
        if plain_refuses:
            with pytest.raises(Exception, match=r"too long|naive"):
                async with db.transaction() as conn:
                    await bulk.insert_with_ids(conn, messages, [message("ok"), row])
            assert await count(db, messages) == 0
        else:
            async with db.transaction() as conn:
                ids = await bulk.insert_with_ids(conn, messages, [message("ok"), row])
            stored = await rows_by_id(db, messages, ids)
            assert stored[ids[1]]["keyword"] == row["keyword"]
        # PostgreSQL refuses both; SQLite enforces no VARCHAR length but refuses naive times
        assert plain_refuses is (database_url.startswith("postgresql") or not row["keyword"])

    run(database_url, scenario)


def test_rows_with_different_columns_are_refused(database_url: str) -> None:
    """A batch whose rows differ would put values in the wrong rows on PostgreSQL."""

    async def scenario(db: Database) -> None:
        odd = dict(message("b"))
        del odd["destination"]
        with pytest.raises(ValueError, match="same columns"):
            async with db.transaction() as conn:
                await bulk.insert_with_ids(conn, messages, [message("a"), odd])

    run(database_url, scenario)


def test_update_rows_sets_each_rows_own_values(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        async with db.transaction() as conn:
            ids = await bulk.insert_with_ids(conn, messages, MESSAGES[:4])
            changes = [
                {"id": ids[0], "status": "delivered", "delivered_at": at(1)},
                {"id": ids[2], "status": "failed", "delivered_at": None},
                {"id": ids[3], "status": "delivered", "delivered_at": at(2)},
            ]
            await bulk.update_rows(conn, messages, "id", changes)
        stored = await rows_by_id(db, messages, ids)
        assert [(stored[i]["status"], stored[i]["delivered_at"]) for i in ids] == [
            ("delivered", at(1)),
            ("received", None),
            ("failed", None),
            ("delivered", at(2)),
        ]
        with pytest.raises(ValueError, match="key column"):
            async with db.transaction() as conn:
                await bulk.update_rows(conn, messages, "id", [{"status": "failed"}])

    run(database_url, scenario)


def test_insert_with_ids_raises_sqlalchemys_errors(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        unknown_customer = message("orphan", customer_id=999_999)
        with pytest.raises(IntegrityError):
            async with db.transaction() as conn:
                await bulk.insert_with_ids(conn, messages, [MESSAGES[0], unknown_customer])
        assert await count(db, messages) == 0

    run(database_url, scenario)
