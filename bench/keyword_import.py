"""Bulk import at scale: `kodeord keywords import` of 100,000 rows, timed end to end.

Run from the repository root (PostgreSQL leg when a URL is set):

    .venv/bin/python bench/keyword_import.py [--rows 100000]
    KODEORD_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/keyword_import.py

Writes a CSV of N leases on 20 shared numbers (keywords K000000…, every tenth with two
aliases, 1,000 customers by name, created by the import), registers the numbers in a
fresh database, and times the real command as a user runs it (a new process: reading,
checking every row, one transaction, progress bar on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mo_throughput import database, drop

from kodeord.adapters.db import migrate
from kodeord.adapters.db.engine import Database
from kodeord.adapters.db.keywords import NumberRepository
from kodeord.domain.numbers import NumberMode, ShortNumber

NUMBERS = [str(26000 + n) for n in range(20)]


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "keyword", "customer", "aliases"])
        for n in range(rows):
            aliases = f"A{n:06d}|B{n:06d}" if n % 10 == 0 else ""
            writer.writerow([NUMBERS[n % 20], f"K{n:06d}", f"Kunde {n % 1000} AS", aliases])


async def register_numbers(url: str) -> None:
    from datetime import UTC, datetime

    db = Database(url)
    try:
        async with db.transaction() as conn:
            for digits in NUMBERS:
                number = ShortNumber(digits, NumberMode.SHARED, None, False, 0, 0, 1000)
                await NumberRepository(conn).add(number, datetime.now(UTC))
    finally:
        await db.close()


def run(backend: str, rows: int) -> float:
    folder = Path(tempfile.mkdtemp())
    url, handle = database(backend, str(folder))
    try:
        migrate.upgrade(url)
        asyncio.run(register_numbers(url))
        path = folder / "leases.csv"
        write_csv(path, rows)
        began = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kodeord",
                "keywords",
                "import",
                str(path),
                "--database-url",
                url,
            ],
            capture_output=True,
            text=True,
            env=dict(os.environ),
        )
        took = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
        return took
    finally:
        drop(handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("KODEORD_TEST_POSTGRES_URL") else [])
    for backend in backends:
        took = run(backend, args.rows)
        print(f"{backend:<11} {args.rows:>8,} rows {took:>6.1f} s {args.rows / took:>8,.0f} rows/s")


if __name__ == "__main__":
    main()
