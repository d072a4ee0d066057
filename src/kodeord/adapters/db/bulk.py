"""Many rows in one statement, on both databases, for the MO hot path.

SQLAlchemy turns a list of rows into one multi-row `INSERT … VALUES (…), (…)`
("insertmanyvalues"). On SQLite that is cheap. On PostgreSQL every such statement is
long and has hundreds of parameters, so psycopg converts its placeholders afresh each
time (it caches only statements of at most 50 parameters): measured on a burst, that
conversion was a fifth of the gateway's CPU. Here PostgreSQL gets one short statement per
table instead, with one array parameter per column:

    INSERT INTO t (a, b) SELECT * FROM unnest(%(a)s::integer[], %(b)s::text[]) …

which psycopg caches like any small statement. JSON columns travel as text[] and are
cast per row. New ids for a table whose rows need them (`insert_with_ids`) are taken from
its sequence first, in one statement, so each row's id is known without relying on the
order of RETURNING.

Every row must have the same keys. Functions take an open connection and never commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, String, Table, TypeDecorator, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def _has_rows(rows: Sequence[dict[str, Any]]) -> bool:
    """Whether there is anything to insert; ValueError when the rows' keys differ (on
    PostgreSQL the columns would shift between rows)."""
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError("every row of a bulk insert must have the same columns")
    return bool(rows)


def _is_postgresql(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


@cache
def _unnest_insert(table: Table, columns: tuple[str, ...], suffix: str) -> Any:
    arrays = []
    selected = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            arrays.append(f"%({name})s::text[]")
            selected.append(f"CAST(v.{name} AS json)")
        elif isinstance(column_type, String):
            # No length in the array's type: an explicit cast would cut a long value
            # silently, where storing it into the column refuses it, as a plain insert does.
            arrays.append(f"%({name})s::text[]")
            selected.append(f"v.{name}")
        else:
            arrays.append(f"%({name})s::{column_type.compile(dialect=_PG)}[]")
            selected.append(f"v.{name}")
    names = ", ".join(columns)
    return (
        f"INSERT INTO {table.name} ({names}) SELECT {', '.join(selected)} "
        f"FROM unnest({', '.join(arrays)}) AS v({names}) {suffix}"
    )


def _column_arrays(table: Table, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    arrays: dict[str, list[Any]] = {name: [] for name in rows[0]}
    json_columns = {name for name in arrays if isinstance(table.c[name].type, JSON)}
    # Our own column types (UTCDateTime refuses naive datetimes) check values as usual.
    decorated = {
        name: column_type
        for name in arrays
        if isinstance(column_type := table.c[name].type, TypeDecorator)
    }
    for row in rows:
        for name, value in row.items():
            if name in json_columns and value is not None:
                value = json.dumps(value)
            elif name in decorated:
                value = decorated[name].process_bind_param(value, _PG)
            arrays[name].append(value)
    return arrays


async def _pg_insert(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], suffix: str = ""
) -> Any:
    statement = _unnest_insert(table, tuple(rows[0]), suffix)
    return await conn.exec_driver_sql(statement, _column_arrays(table, rows))


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows, returning nothing."""
    if not _has_rows(rows):
        return
    if _is_postgresql(conn):
        await _pg_insert(conn, table, rows)
    else:
        await conn.execute(insert(table), list(rows))


async def insert_with_ids(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert rows into a table with an `id` column; their new ids, in the order of rows."""
    if not _has_rows(rows):
        return []
    if not _is_postgresql(conn):
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(found) for found in (await conn.execute(statement, list(rows))).scalars()]
    next_ids = text(
        f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
        "FROM generate_series(1, :count)"
    )
    ids = [int(found) for found in (await conn.execute(next_ids, {"count": len(rows)})).scalars()]
    await _pg_insert(conn, table, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
    return ids


async def insert_rows_returning(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]], suffix: str
) -> list[tuple[Any, ...]]:
    """PostgreSQL only: insert rows with a clause after them (ON CONFLICT …, RETURNING …);
    the rows RETURNING gives."""
    if not _has_rows(rows):
        return []
    result = await _pg_insert(conn, table, rows, suffix)
    return [tuple(row) for row in result.all()] if result.returns_rows else []
