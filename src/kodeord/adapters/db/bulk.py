"""Many rows in one statement, on both databases, for the MO hot path.

SQLAlchemy turns a list of rows into one multi-row `INSERT … VALUES (…), (…)`
("insertmanyvalues"). On SQLite that is cheap. On PostgreSQL every such statement is
long and has hundreds of parameters, so psycopg converts its placeholders afresh each
time (it caches only statements of at most 50 parameters): measured on a burst, that
conversion was a fifth of the gateway's CPU. Here PostgreSQL gets one short statement per
table instead, with one array parameter per column:

    INSERT INTO t (a, b) SELECT * FROM unnest(%(a)s::integer[], %(b)s::text[]) …

which psycopg caches like any small statement (`insert_rows_returning`, for ON CONFLICT
and RETURNING; `update_rows` likewise as `UPDATE … FROM unnest(…)`). JSON columns travel
as text[] and are cast per row. Plain inserts (`insert_rows`, `insert_with_ids`) go
through COPY, which psycopg formats in C where it dumps arrays element by element in
Python. New ids for a table whose rows need them (`insert_with_ids`) are taken from its
sequence first, in one statement, so each row's id is known without relying on the
order of RETURNING. On SQLite, rows that need their ids go through one prepared INSERT
on the driver, each id read from `lastrowid` (SQLAlchemy would run an ordered
`INSERT … RETURNING` row by row through its whole statement path).

Every row must have the same keys. Functions take an open connection and never commit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import JSON, String, Table, TypeDecorator, bindparam, insert, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
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


def _unnest_columns(table: Table, columns: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """For each column, its array parameter and how to select its value from `v`."""
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
    return arrays, selected


@cache
def _unnest_insert(table: Table, columns: tuple[str, ...], suffix: str) -> Any:
    arrays, selected = _unnest_columns(table, columns)
    names = ", ".join(columns)
    return (
        f"INSERT INTO {table.name} ({names}) SELECT {', '.join(selected)} "
        f"FROM unnest({', '.join(arrays)}) AS v({names}) {suffix}"
    )


@cache
def _unnest_update(table: Table, columns: tuple[str, ...], key: str) -> Any:
    arrays, selected = _unnest_columns(table, columns)
    names = ", ".join(columns)
    assignments = ", ".join(
        f"{name} = {value}" for name, value in zip(columns, selected, strict=True) if name != key
    )
    return (
        f"UPDATE {table.name} SET {assignments} FROM unnest({', '.join(arrays)}) AS v({names}) "
        f"WHERE {table.name}.{key} = v.{key}"
    )


@cache
def _executemany_update(table: Table, columns: tuple[str, ...], key: str) -> Any:
    # bound names differ from the column names: SQLAlchemy reserves those for SET
    statement = update(table).where(table.c[key] == bindparam(f"b_{key}"))
    return statement.values({name: bindparam(f"b_{name}") for name in columns if name != key})


def _pg_converters(table: Table, columns: Sequence[str]) -> list[Any]:
    """Per column, what turns a value into what psycopg sends (None: as it is): JSON as
    text, and our own column types (UTCDateTime refuses naive datetimes) as usual."""
    converters: list[Any] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            converters.append(lambda value: None if value is None else json.dumps(value))
        elif isinstance(column_type, TypeDecorator):
            converters.append(lambda value, t=column_type: t.process_bind_param(value, _PG))
        else:
            converters.append(None)
    return converters


def _column_arrays(table: Table, rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    names = list(rows[0])
    converters = _pg_converters(table, names)
    arrays: list[list[Any]] = [[] for _ in names]
    for row in rows:
        for array, convert, value in zip(arrays, converters, row.values(), strict=True):
            array.append(value if convert is None else convert(value))
    return dict(zip(names, arrays, strict=True))


async def _pg_copy(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL: rows through COPY FROM STDIN on the transaction's own connection.
    psycopg formats COPY rows in C; the unnest arrays above go through its Python list
    dumper element by element, which was an eighth of the gateway's CPU in an MO burst."""
    names = list(rows[0])
    converters = _pg_converters(table, names)
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    driver: Any = (await conn.get_raw_connection()).driver_connection
    try:
        async with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                await copy.write_row(
                    [
                        value if convert is None else convert(value)
                        for convert, value in zip(converters, row.values(), strict=True)
                    ]
                )
    except psycopg.Error as exc:  # as SQLAlchemy would raise it (IntegrityError …)
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


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
        await _pg_copy(conn, table, rows)
    else:
        await conn.execute(insert(table), list(rows))


async def update_rows(
    conn: AsyncConnection, table: Table, key: str, rows: Sequence[dict[str, Any]]
) -> None:
    """Set columns of many rows, each found by its `key` column, in one statement; every
    row gives the key and the same columns (values may differ from row to row)."""
    if not _has_rows(rows):
        return
    columns = tuple(rows[0])
    if key not in columns:
        raise ValueError(f"every row must give the key column {key!r}")
    if _is_postgresql(conn):
        statement = _unnest_update(table, columns, key)
        await conn.exec_driver_sql(statement, _column_arrays(table, rows))
    else:
        bound = [{f"b_{name}": value for name, value in row.items()} for row in rows]
        await conn.execute(_executemany_update(table, columns, key), bound)


async def insert_with_ids(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert rows into a table with an `id` column; their new ids, in the order of rows."""
    if not _has_rows(rows):
        return []
    if not _is_postgresql(conn):
        return await _sqlite_insert_with_ids(conn, table, rows)
    next_ids = text(
        f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
        "FROM generate_series(1, :count)"
    )
    ids = [int(found) for found in (await conn.execute(next_ids, {"count": len(rows)})).scalars()]
    await _pg_copy(conn, table, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
    return ids


@cache
def _sqlite_insert(table: Table, columns: tuple[str, ...], dialect: Any) -> tuple[str, list[Any]]:
    """The plain INSERT of these columns, and each column's bind processor (or None)."""
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    marks = ", ".join("?" for _ in columns)
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    return f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", processors


async def _sqlite_insert_with_ids(
    conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """SQLite: one prepared INSERT run per row on the driver, each row's id from its
    `lastrowid`. SQLAlchemy cannot batch an INSERT … RETURNING whose ids must follow the
    rows' order on SQLite and would run it row by row through its whole statement path."""
    statement, processors = _sqlite_insert(table, tuple(rows[0]), conn.dialect)
    cursor = (await conn.get_raw_connection()).driver_connection.cursor()  # type: ignore[union-attr]
    ids = []
    try:
        for row in rows:
            values = [
                value if process is None else process(value)
                for process, value in zip(processors, row.values(), strict=True)
            ]
            try:
                cursor.execute(statement, values)
            except sqlite3.Error as exc:  # as SQLAlchemy would raise it (IntegrityError …)
                raise DBAPIError.instance(statement, values, exc, sqlite3.Error) from exc
            ids.append(int(cursor.lastrowid))
    finally:
        cursor.close()
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
