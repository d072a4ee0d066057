"""Bulk import of keyword leases from another platform: `kodeord keywords import FILE.csv`.

The file is CSV with a header row and the columns `number, keyword, customer, aliases`:
`customer` is a customer id (digits) or a customer's exact name (a name not known yet
creates that customer); `aliases` is empty or several words separated by `|`.

Every row is checked before anything is written, with the same rules as leasing
(domain.leasing: valid, not reserved, not taken, dedicated numbers only for their owner)
plus: the number must be registered, and a keyword or alias may appear once per number
in the whole file. Any bad row → a report of every bad row (line, reasons) and nothing
imported. Otherwise all leases go in ONE transaction (in chunks, with progress), each
with its first term, route `inbox` and a `leased` event with actor `import`: the import
is all or nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from kodeord.adapters.db import bulk
from kodeord.adapters.db import repository as repo
from kodeord.adapters.db.schema import (
    customers,
    keyword_events,
    keyword_leases,
    lease_keywords,
)
from kodeord.app.context import Context
from kodeord.app.keywords.lifecycle import add_months, lock_history
from kodeord.domain.keywords import normalise
from kodeord.domain.leasing import ReservedWords, check_availability
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routes import DEFAULT_ROUTE

COLUMNS = ("number", "keyword", "customer", "aliases")
CHUNK = 5000
Progress = Callable[[int], None]  # called with how many rows were just written


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reasons: tuple[str, ...]


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    imported: int = 0
    customers_created: int = 0
    bad: list[BadRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    number: ShortNumber
    customer: int | str  # an id, or the name of a customer to create
    keys: tuple[tuple[str, str], ...]  # (canonical, fold), the keyword first


class ImportFileError(ValueError):
    """The file is not the CSV we read (no header, wrong columns)."""


def read_rows(path: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row; ImportFileError when the shape is wrong."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            missing = [c for c in COLUMNS[:3] if c not in header]
            if missing:
                raise ImportFileError(
                    f"the header must name {', '.join(COLUMNS)}; missing {missing}"
                )
            reader.fieldnames = header
            return [
                (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFileError(f"cannot read {path}: {exc}") from None


async def import_leases(
    ctx: Context, rows: Sequence[tuple[int, dict[str, str]]], progress: Progress | None = None
) -> ImportReport:
    report = ImportReport(rows=len(rows))
    async with ctx.db.transaction() as conn:
        checked = await _check(conn, rows, report)
        if not report.ok:
            await conn.rollback()
            return report
        await _write(ctx, conn, checked, report, progress)
    for number in {row.number.number for row in checked}:
        ctx.routing_changed(number)
    return report


async def _check(
    conn: AsyncConnection, rows: Sequence[tuple[int, dict[str, str]]], report: ImportReport
) -> list[_Row]:
    numbers = {n.number: n for n in await repo.list_numbers(conn)}
    names = {str(r.name): int(r.id) for r in (await conn.execute(select(customers))).all()}
    ids = set(names.values())
    reserved = ReservedWords(row.word for row in await repo.list_reserved_words(conn))
    held: dict[tuple[str, str], int] = {
        (str(r.number), str(r.fold)): int(r.customer_id)
        for r in (
            await conn.execute(
                select(
                    lease_keywords.c.number, lease_keywords.c.fold, keyword_leases.c.customer_id
                ).join(keyword_leases, keyword_leases.c.id == lease_keywords.c.lease_id)
            )
        ).all()
    }
    in_file: dict[tuple[str, str], int] = {}
    checked = []
    for line, raw in rows:
        reasons: list[str] = []
        number = numbers.get(raw.get("number", ""))
        if number is None:
            reasons.append(f"number {raw.get('number')!r} is not registered")
        customer: int | str = raw.get("customer", "")
        if not customer:
            reasons.append("customer is empty")
        elif str(customer).isdigit():
            customer = int(customer)
            if customer not in ids:
                reasons.append(f"no customer {customer}")
        elif customer in names:
            customer = names[str(customer)]
        aliases = [a for a in raw.get("aliases", "").split("|") if a.strip()]
        if number is not None and not reasons:
            acting = customer if isinstance(customer, int) else -1  # a new customer holds nothing
            digits = number.number

            def holder(fold: str, digits: str = digits) -> int | None:
                return held.get((digits, fold))

            result = check_availability(
                raw.get("keyword", ""), number, acting, reserved, holder, aliases
            )
            if number.mode is NumberMode.DEDICATED and not isinstance(customer, int):
                reasons.append(f"{number.number} is dedicated to another customer")
            reasons.extend(r.message for r in result.reasons)
            keys = tuple(
                (w.canonical, w.fold) for w in (normalise(k) for k in (raw["keyword"], *aliases))
            )
            for canonical, fold in keys:
                first = in_file.setdefault((number.number, fold), line)
                if first != line:
                    reasons.append(f"'{canonical}' is on line {first} too")
            if not reasons:
                checked.append(_Row(line, number, customer, keys))
        if reasons:
            report.bad.append(BadRow(line, tuple(reasons)))
    return checked


async def _write(
    ctx: Context,
    conn: AsyncConnection,
    checked: list[_Row],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    now = ctx.clock()
    new_names = sorted({row.customer for row in checked if isinstance(row.customer, str)})
    created: dict[str, int] = {}
    for name in new_names:
        created_row = await repo.insert_customer(conn, name, now)
        created[name] = int(created_row.id)
    report.customers_created = len(created)
    term_end = add_months(now, 1)
    for start in range(0, len(checked), CHUNK):
        chunk = checked[start : start + CHUNK]
        leases = [
            {
                "number": row.number.number,
                "customer_id": _customer_id(row, created),
                "keyword": row.keys[0][0],
                "aliases": [canonical for canonical, _ in row.keys[1:]],
                "status": "active",
                "route": DEFAULT_ROUTE.to_json(),
                "monthly_fee_ore": row.number.keyword_fee_for(_customer_id(row, created))
                if row.number.mode is NumberMode.SHARED
                else 0,
                "created_at": now,
                "allow_digit_suffix": False,
                "term_ends_at": term_end,
                "cancel_at_term_end": False,
                "billed_months": 1,
            }
            for row in chunk
        ]
        lease_ids = await bulk.insert_with_ids(conn, keyword_leases, leases)
        keys: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for lease_id, row in zip(lease_ids, chunk, strict=True):
            for index, (canonical, fold) in enumerate(row.keys):
                keys.append(
                    {
                        "lease_id": lease_id,
                        "number": row.number.number,
                        "canonical": canonical,
                        "fold": fold,
                        "is_alias": index > 0,
                    }
                )
            events.append(
                {
                    "lease_id": lease_id,
                    "action": "leased",
                    "actor": "import",
                    "detail": {"line": row.line},
                    "at": now,
                }
            )
        await bulk.insert_rows(conn, lease_keywords, keys)
        await lock_history(conn)
        await bulk.insert_rows(conn, keyword_events, events)
        report.imported += len(chunk)
        if progress is not None:
            progress(len(chunk))


def _customer_id(row: _Row, created: dict[str, int]) -> int:
    return row.customer if isinstance(row.customer, int) else created[row.customer]
