"""SQLite inline on the loop's thread: locks are waited for without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from kodeord.adapters.db import sqlite_inline
from kodeord.adapters.db.engine import Database


def _engine(path: Path, busy_timeout: float = 10.0) -> AsyncEngine:
    return create_async_engine(
        f"{sqlite_inline.DRIVERNAME}:///{path}", connect_args={"busy_timeout": busy_timeout}
    )


async def _setup(path: Path) -> None:
    engine = _engine(path)
    async with engine.begin() as conn:
        await conn.execute(text("PRAGMA journal_mode=WAL"))
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    await engine.dispose()


def test_a_second_writer_waits_for_the_first_while_the_loop_runs(tmp_path: Path) -> None:
    path = tmp_path / "k.db"

    async def scenario() -> list[str]:
        await _setup(path)
        first, second = _engine(path), _engine(path)
        order: list[str] = []
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        async def holder() -> None:
            async with first.connect() as conn:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await conn.execute(text("INSERT INTO t VALUES (1)"))
                order.append("first holds the lock")
                await asyncio.sleep(0.2)  # other tasks run meanwhile
                await conn.exec_driver_sql("COMMIT")
                order.append("first committed")

        async def waiter() -> None:
            await asyncio.sleep(0.02)
            async with second.connect() as conn:
                before = ticks
                await conn.exec_driver_sql("BEGIN IMMEDIATE")  # waits for `holder`
                order.append(f"second began after {ticks - before} ticks")
                await conn.execute(text("INSERT INTO t VALUES (2)"))
                await conn.exec_driver_sql("COMMIT")

        tick = asyncio.create_task(ticker())
        await asyncio.gather(holder(), waiter())
        tick.cancel()
        async with second.connect() as conn:
            rows = (await conn.execute(text("SELECT n FROM t ORDER BY n"))).scalars().all()
        assert rows == [1, 2]
        await first.dispose()
        await second.dispose()
        return order

    order = asyncio.run(scenario())
    assert order[:2] == ["first holds the lock", "first committed"]
    # the loop kept running while the second writer waited (a blocked loop ticks 0 times)
    assert int(order[2].split()[3]) >= 20


def test_a_lock_held_past_the_busy_timeout_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "k.db"

    async def scenario() -> float:
        await _setup(path)
        other = sqlite3.connect(path, isolation_level=None)  # another process, say
        other.execute("BEGIN IMMEDIATE")
        engine = _engine(path, busy_timeout=0.3)
        began = time.monotonic()
        try:
            with pytest.raises(OperationalError, match="database is locked"):
                async with engine.connect() as conn:
                    await conn.exec_driver_sql("BEGIN IMMEDIATE")
            return time.monotonic() - began
        finally:
            other.rollback()
            other.close()
            await engine.dispose()

    waited = asyncio.run(scenario())
    assert 0.2 <= waited < 5


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    path = tmp_path / "k.db"

    async def scenario() -> None:
        await _setup(path)
        engine = _engine(path)
        try:
            async with engine.connect() as conn:
                with pytest.raises(OperationalError, match="no such table"):
                    await conn.execute(text("SELECT * FROM missing"))
        finally:
            await engine.dispose()

    asyncio.run(scenario())


def test_the_database_uses_the_inline_driver(tmp_path: Path) -> None:
    async def scenario() -> str:
        db = Database(f"sqlite:///{tmp_path / 'k.db'}")
        try:
            async with db.transaction() as conn:
                raw = await conn.get_raw_connection()
                return type(raw.driver_connection).__name__
        finally:
            await db.close()

    assert asyncio.run(scenario()) == "InlineConnection"
