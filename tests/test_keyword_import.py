"""`kodeord keywords import` and `kodeord keywords check` as a provider runs them: real
processes on a real database. All rows or none; every bad row listed with its line."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kodeord.adapters.db import migrate
from kodeord.adapters.db.customers import CustomerRepository
from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.keywords import LeaseRepository, NumberRepository
from kodeord.app.keywords.records import LeaseKey, NewLease
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routes import DEFAULT_ROUTE
from kodeord.wiring import make_context
from tests.queue.support import NOW

KODEORD = [sys.executable, "-m", "kodeord"]


def kodeord(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KODEORD, *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _prepare(url: str) -> int:
    """Numbers 2077 (shared) and 2078 (dedicated to an existing customer), one lease."""
    migrate.upgrade(url)

    async def setup() -> int:
        db = Database(url)
        try:
            async with db.transaction() as conn:
                owner = await CustomerRepository(conn).add("Eier AS", NOW)
                for number in (
                    ShortNumber("2077", NumberMode.SHARED, None, False, 0, 0, 1000),
                    ShortNumber("2078", NumberMode.DEDICATED, owner.id, False, 0, 0, 0),
                ):
                    await NumberRepository(conn).add(number, NOW)
                taxi = (LeaseKey("TAXI", "TAXI"),)
                lease = NewLease("2077", owner.id, taxi, 1000, DEFAULT_ROUTE, NOW)
                await LeaseRepository(conn).add(lease)
            return int(owner.id)
        finally:
            await db.close()

    return asyncio.run(setup())


def _leases(url: str) -> list[tuple[str, str, int, list[str]]]:
    async def read() -> list[tuple[str, str, int, list[str]]]:
        db = Database(url)
        try:
            async with db.read() as conn:
                rows = await LeaseRepository(conn).all(None, include_released=False)
            return sorted((r.number, r.keyword, r.customer_id, list(r.aliases)) for r in rows)
        finally:
            await db.close()

    return asyncio.run(read())


def _write(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "keyword", "customer", "aliases"])
        writer.writerows(rows)
    return path


@pytest.fixture
def database(database_url: str) -> tuple[str, int]:
    return database_url, _prepare(database_url)


def test_a_good_file_imports_every_row(database: tuple[str, int], tmp_path: Path) -> None:
    url, owner = database
    path = _write(
        tmp_path / "ok.csv",
        [
            ["2077", "Pizza", "Pizzeria Napoli AS", "PIZZAS|Pitsa"],
            ["2077", "Blåbær", "Pizzeria Napoli AS", ""],
            ["2077", "KEBAB", str(owner), ""],
            ["2078", "HEI", str(owner), ""],
        ],
    )
    done = kodeord("keywords", "import", str(path), "--database-url", url, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported 4 keyword leases (1 new customers)" in done.stdout
    leases = _leases(url)
    napoli = next(lease for lease in leases if lease[1] == "PIZZA")[2]
    assert leases == sorted(
        [
            ("2077", "TAXI", owner, []),
            ("2077", "PIZZA", napoli, ["PIZZAS", "PITSA"]),
            ("2077", "BLÅBÆR", napoli, []),
            ("2077", "KEBAB", owner, []),
            ("2078", "HEI", owner, []),
        ]
    )
    check = kodeord(
        "keywords", "check", "blaabaer", "--number", "2077", "--database-url", url, cwd=tmp_path
    )
    assert check.returncode == 1 and "taken" in check.stdout
    free = kodeord(
        "keywords", "check", "SUSHI", "--number", "2077", "--database-url", url, cwd=tmp_path
    )
    assert free.returncode == 0 and "available" in free.stdout


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_one(
    database: tuple[str, int], tmp_path: Path
) -> None:
    url, owner = database
    path = _write(
        tmp_path / "bad.csv",
        [
            ["2077", "PIZZA", "Ny Kunde AS", ""],  # line 2: fine
            ["9999", "SUSHI", "Ny Kunde AS", ""],  # line 3: unknown number
            ["2077", "to ord", "Ny Kunde AS", ""],  # line 4: one word only
            ["2077", "STOPP", "Ny Kunde AS", ""],  # line 5: reserved
            ["2077", "taxi", "Ny Kunde AS", ""],  # line 6: taken in the database
            ["2077", "pizza", "Ny Kunde AS", ""],  # line 7: twice in the file
            ["2077", "BURGER", "424242", ""],  # line 8: no such customer id
            ["2078", "HALLO", "Ny Kunde AS", ""],  # line 9: dedicated to someone else
            ["2077", "VIN", "", ""],  # line 10: no customer
        ],
    )
    done = kodeord("keywords", "import", str(path), "--database-url", url, cwd=tmp_path)
    assert done.returncode == 1
    report = done.stderr
    assert "8 of 9 rows refused; nothing imported" in report
    for line in range(3, 11):
        assert f"│ {line:>4} │" in report or f"│   {line} │" in report or f" {line} │" in report
    assert _leases(url) == [("2077", "TAXI", owner, [])]


def test_an_unreadable_file_is_a_clear_error(database: tuple[str, int], tmp_path: Path) -> None:
    url, _ = database
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("nummer;kodeord\n2077;PIZZA\n", encoding="utf-8")
    done = kodeord("keywords", "import", str(wrong), "--database-url", url, cwd=tmp_path)
    assert done.returncode == 2 and "the header must name" in done.stderr
    missing = kodeord(
        "keywords", "import", str(tmp_path / "nope.csv"), "--database-url", url, cwd=tmp_path
    )
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_import_in_process_reports_progress(database: tuple[str, int], tmp_path: Path) -> None:
    """2,000 rows through the use case itself: progress adds up, all rows stored."""
    from kodeord.app.keywords.importing import import_leases

    url, _ = database
    rows = [
        (
            n + 2,
            {"number": "2077", "keyword": f"K{n:05d}", "customer": "Massekunde AS", "aliases": ""},
        )
        for n in range(2000)
    ]
    seen: list[int] = []

    async def run() -> int:
        db = Database(url)
        try:
            report = await import_leases(make_context(db), rows, seen.append)
            return report.imported
        finally:
            await db.close()

    assert asyncio.run(run()) == 2000
    assert sum(seen) == 2000
    assert len(_leases(url)) == 2001
