"""Database.write: group commit on SQLite, a transaction each on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import migrate
from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.schema import customers, reserved_words
from kodeord.adapters.db.writer import GroupCommitWriter, WriterStopped
from tests.queue.support import NOW, run_with_database

Unit = Callable[[AsyncConnection], Awaitable[int]]
Maker = Callable[[str], Unit]


class Boom(Exception):
    pass


def add_customer(name: str) -> Unit:
    async def fn(conn: AsyncConnection) -> int:
        result = await conn.execute(
            insert(customers).values(name=name, created_at=NOW).returning(customers.c.id)
        )
        return int(result.scalar_one())

    return fn


def add_then_fail(name: str) -> Unit:
    async def fn(conn: AsyncConnection) -> int:
        await add_customer(name)(conn)
        raise Boom(name)

    return fn


def add_word_twice(word: str) -> Unit:
    async def fn(conn: AsyncConnection) -> int:
        await add_customer(word)(conn)
        for _ in range(2):  # the second insert breaks the primary key
            await conn.execute(insert(reserved_words).values(word=word, created_at=NOW))
        return 0

    return fn


async def customer_names(url: str) -> set[str]:
    """Read through a Database of its own: another engine, another connection."""
    other = Database(url)
    try:
        async with other.read() as conn:
            return set((await conn.execute(select(customers.c.name))).scalars())
    finally:
        await other.close()


def group_writer(db: Database) -> GroupCommitWriter | None:
    return db._group_writer


def test_concurrent_writes_all_commit_and_answer_their_callers(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        names = [f"customer {i}" for i in range(300)]
        ids = await asyncio.gather(*(db.write(add_customer(name)) for name in names))
        assert len(set(ids)) == len(names)
        async with db.read() as conn:
            stored = dict((await conn.execute(select(customers.c.id, customers.c.name))).all())
        assert [stored[i] for i in ids] == names  # each caller got its own row's id
        writer = group_writer(db)
        if writer is not None:  # SQLite: far fewer commits than callers
            assert writer.units == len(names) and writer.commits <= len(names) // 10

    run_with_database(database_url, scenario)


FAILURES: list[tuple[Maker, type[Exception] | None]] = [
    # unit of work, what its caller gets (None: its result)
    (add_customer, None),
    (add_then_fail, Boom),
    (add_word_twice, IntegrityError),
]


def test_a_failing_unit_rolls_back_alone(database_url: str) -> None:
    """Sixty units at once, every third raising in Python and every third in SQL."""

    async def scenario(db: Database) -> None:
        cases = [(f"n{i}", *FAILURES[i % len(FAILURES)]) for i in range(60)]
        results = await asyncio.gather(
            *(db.write(make(name)) for name, make, _ in cases), return_exceptions=True
        )
        for (_name, _make, error), result in zip(cases, results, strict=True):
            if error is None:
                assert isinstance(result, int)
            else:
                assert isinstance(result, error)
        kept = {name for name, _make, error in cases if error is None}
        assert await customer_names(database_url) == kept
        writer = group_writer(db)
        if writer is not None:  # SQLite: the failures shared batches (and savepoints)
            assert writer.commits < len(cases)

    run_with_database(database_url, scenario)


def test_a_lone_failing_unit_rolls_back(database_url: str) -> None:
    """One caller at a time: each batch holds one unit and runs it without a savepoint."""

    async def scenario(db: Database) -> None:
        for i, (make, error) in enumerate(FAILURES * 2):
            if error is None:
                assert await db.write(make(f"n{i}")) > 0
            else:
                with pytest.raises(error):
                    await db.write(make(f"n{i}"))
        assert await customer_names(database_url) == {"n0", "n3"}

    run_with_database(database_url, scenario)


def test_work_is_committed_when_write_returns(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        for i in range(10):
            await db.write(add_customer(f"c{i}"))
            assert f"c{i}" in await customer_names(database_url)

    run_with_database(database_url, scenario)


def test_a_cancelled_caller_does_not_stop_the_others(database_url: str) -> None:
    async def scenario(db: Database) -> None:
        tasks = [asyncio.create_task(db.write(add_customer(f"c{i}"))) for i in range(20)]
        tasks[3].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[3], asyncio.CancelledError)
        assert all(isinstance(result, int) for i, result in enumerate(results) if i != 3)
        assert await db.write(add_customer("after")) > 0

    run_with_database(database_url, scenario)


def test_stop_commits_queued_work_then_refuses_more(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/writer.db"
    migrate.upgrade(url)

    async def scenario(db: Database) -> None:
        await db.start()
        writer = group_writer(db)
        assert writer is not None and writer.running
        tasks = [asyncio.create_task(db.write(add_customer(f"c{i}"))) for i in range(50)]
        await asyncio.sleep(0)  # every task hands in its work
        await writer.stop()
        assert all(isinstance(result, int) for result in await asyncio.gather(*tasks))
        with pytest.raises(WriterStopped):
            await db.write(add_customer("late"))
        async with db.read() as conn:
            assert await conn.scalar(select(func.count()).select_from(customers)) == 50

    run_with_database(url, scenario)


def test_writer_rejects_an_empty_batch_size() -> None:
    with pytest.raises(ValueError):
        GroupCommitWriter(None, max_batch=0)  # type: ignore[arg-type]
