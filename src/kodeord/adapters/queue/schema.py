"""The `jobs` table: the durable job queue of both backends (created by migration 0002).

One row per job. Its life: `queued` (waiting until `run_at`) → `running` (claimed by
`leased_by` until `lease_until`; `attempts` counts claims) → `done`, back to `queued` for a
retry, or `dead` (kept with `last_error` until an operator replays it). A `running` row
whose lease has passed belongs to a worker that died and is claimed again. `leased_by`
keeps the last worker's name after the lease ends, for the record. `dedupe_key` is
optional and unique: enqueueing a key that exists again is a no-op. Payloads are JSON
objects, never pickles. Claims read `(status, run_at)` in order, hence that index.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kodeord.adapters.db.types import UTCDateTime, metadata

jobs = Table(
    "jobs",
    metadata,
    # BIGINT on PostgreSQL; INTEGER on SQLite, where only that is an alias of the rowid.
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("run_at", UTCDateTime(), nullable=False),
    Column("lease_until", UTCDateTime(), nullable=True),
    Column("leased_by", String(200), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("dedupe_key", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("dedupe_key", name="uq_jobs_dedupe_key"),
    Index("ix_jobs_status_run_at", "status", "run_at"),
)
