"""The relational schema, as SQLAlchemy Core tables: the one description of our storage.

Alembic migrations (in `migrations/`) create and change it; tests check that the
migrated database matches these tables. Timestamps are stored in UTC; money is integer
øre. `lease_keywords` holds one row per keyword of an active lease (the main keyword and
its aliases) with a unique (number, fold) pair: that constraint is what makes two
customers unable to hold `BLÅBÆR` and `BLAABAER` on one number, even under races.
Rows leave `lease_keywords` when a lease ends; the lease row stays as history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

short_numbers = Table(
    "short_numbers",
    metadata,
    Column("number", String(5), primary_key=True),
    Column("mode", String(10), nullable=False),
    Column("owner_customer_id", Integer, ForeignKey("customers.id"), nullable=True),
    Column("premium", Boolean, nullable=False),
    Column("monthly_fee_ore", BigInteger, nullable=False),
    Column("setup_fee_ore", BigInteger, nullable=False),
    Column("keyword_fee_ore", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

reserved_words = Table(
    "reserved_words",
    metadata,
    Column("word", String(16), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

keyword_leases = Table(
    "keyword_leases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(5), ForeignKey("short_numbers.number"), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("keyword", String(16), nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("route", JSON, nullable=False),
    Column("monthly_fee_ore", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("released_at", UTCDateTime(), nullable=True),
)

lease_keywords = Table(
    "lease_keywords",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lease_id", Integer, ForeignKey("keyword_leases.id"), nullable=False, index=True),
    Column("number", String(5), nullable=False),
    Column("canonical", String(16), nullable=False),
    Column("fold", String(32), nullable=False),
    Column("is_alias", Boolean, nullable=False),
    UniqueConstraint("number", "fold", name="uq_lease_keywords_number_fold"),
)

# The job queue keeps its table in its own package; importing it registers `jobs` here.
from kodeord.adapters.queue import schema as _queue_schema  # noqa: E402, F401
