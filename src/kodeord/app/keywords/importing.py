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
from datetime import datetime

from kodeord.app.context import Context
from kodeord.app.keywords.lifecycle import add_months
from kodeord.app.keywords.ports import KeywordsTx
from kodeord.app.keywords.records import LeaseAction, LeaseKey, NewEvent, NewLease
from kodeord.domain.keywords import normalise
from kodeord.domain.leasing import ReservedWords, check_availability
from kodeord.domain.numbers import NumberMode, ShortNumber
from kodeord.domain.routes import DEFAULT_ROUTE

IMPORT = "import"  # the actor of the imported leases' first events
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
    keys: tuple[LeaseKey, ...]  # the keyword first


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
    ctx: Context[KeywordsTx],
    rows: Sequence[tuple[int, dict[str, str]]],
    progress: Progress | None = None,
) -> ImportReport:
    report = ImportReport(rows=len(rows))
    async with ctx.storage.transaction() as tx:
        checked = await _check(tx, rows, report)
        if not report.ok:
            return report  # nothing was written: the unit ends with no change
        await _write(ctx, tx, checked, report, progress)
    for number in {row.number.number for row in checked}:
        ctx.routing_changed(number)
    return report


async def _check(
    tx: KeywordsTx, rows: Sequence[tuple[int, dict[str, str]]], report: ImportReport
) -> list[_Row]:
    numbers = {n.number: n for n in await tx.numbers.all()}
    names = {customer.name: customer.id for customer in await tx.customers.all()}
    ids = set(names.values())
    reserved = ReservedWords(row.word for row in await tx.reserved_words.all())
    held = await tx.leases.all_holders()
    in_file: dict[tuple[str, str], int] = {}
    checked = []
    for line, raw in rows:
        reasons, row = _check_row(line, raw, numbers, names, ids, reserved, held, in_file)
        if row is not None:
            checked.append(row)
        if reasons:
            report.bad.append(BadRow(line, tuple(reasons)))
    return checked


def _check_row(
    line: int,
    raw: dict[str, str],
    numbers: dict[str, ShortNumber],
    names: dict[str, int],
    ids: set[int],
    reserved: ReservedWords,
    held: dict[tuple[str, str], int],
    in_file: dict[tuple[str, str], int],
) -> tuple[list[str], _Row | None]:
    """One row's reasons to refuse it, or the row to import."""
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
    if number is None or reasons:
        return reasons, None
    aliases = [a for a in raw.get("aliases", "").split("|") if a.strip()]
    acting = customer if isinstance(customer, int) else -1  # a new customer holds nothing
    digits = number.number

    def holder(fold: str) -> int | None:
        return held.get((digits, fold))

    result = check_availability(raw.get("keyword", ""), number, acting, reserved, holder, aliases)
    if number.mode is NumberMode.DEDICATED and not isinstance(customer, int):
        reasons.append(f"{number.number} is dedicated to another customer")
    reasons.extend(r.message for r in result.reasons)
    keys = tuple(
        LeaseKey(w.fold, w.canonical) for w in (normalise(k) for k in (raw["keyword"], *aliases))
    )
    for key in keys:
        first = in_file.setdefault((number.number, key.fold), line)
        if first != line:
            reasons.append(f"'{key.canonical}' is on line {first} too")
    return reasons, None if reasons else _Row(line, number, customer, keys)


async def _write(
    ctx: Context[KeywordsTx],
    tx: KeywordsTx,
    checked: list[_Row],
    report: ImportReport,
    progress: Progress | None,
) -> None:
    now = ctx.clock()
    new_names = sorted({row.customer for row in checked if isinstance(row.customer, str)})
    created = {name: (await tx.customers.add(name, now)).id for name in new_names}
    report.customers_created = len(created)
    term_end = add_months(now, 1)
    for start in range(0, len(checked), CHUNK):
        chunk = checked[start : start + CHUNK]
        leases = [_new_lease(row, _customer_id(row, created), now, term_end) for row in chunk]
        lease_ids = await tx.leases.add_many(leases)
        events = [
            NewEvent(lease_id, LeaseAction.LEASED, IMPORT, now, {"line": row.line})
            for lease_id, row in zip(lease_ids, chunk, strict=True)
        ]
        await tx.lease_history.record(events)
        report.imported += len(chunk)
        if progress is not None:
            progress(len(chunk))


def _new_lease(row: _Row, customer_id: int, now: datetime, term_end: datetime) -> NewLease:
    shared = row.number.mode is NumberMode.SHARED
    fee = row.number.keyword_fee_for(customer_id) if shared else 0
    return NewLease(row.number.number, customer_id, row.keys, fee, DEFAULT_ROUTE, now, term_end)


def _customer_id(row: _Row, created: dict[str, int]) -> int:
    return row.customer if isinstance(row.customer, int) else created[row.customer]
