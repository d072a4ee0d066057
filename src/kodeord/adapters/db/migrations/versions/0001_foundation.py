"""Foundation: customers, API keys, short numbers, reserved words, keyword leases.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kodeord.adapters.db.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_customers"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_api_keys_customer_id_customers"
        ),
    )
    op.create_index("ix_api_keys_customer_id", "api_keys", ["customer_id"])
    op.create_table(
        "short_numbers",
        sa.Column("number", sa.String(5)),
        sa.Column("mode", sa.String(10), nullable=False),
        sa.Column("owner_customer_id", sa.Integer(), nullable=True),
        sa.Column("premium", sa.Boolean(), nullable=False),
        sa.Column("monthly_fee_ore", sa.BigInteger(), nullable=False),
        sa.Column("setup_fee_ore", sa.BigInteger(), nullable=False),
        sa.Column("keyword_fee_ore", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_short_numbers"),
        sa.ForeignKeyConstraint(
            ["owner_customer_id"],
            ["customers.id"],
            name="fk_short_numbers_owner_customer_id_customers",
        ),
    )
    op.create_table(
        "reserved_words",
        sa.Column("word", sa.String(16)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("word", name="pk_reserved_words"),
    )
    op.create_table(
        "keyword_leases",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("number", sa.String(5), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("keyword", sa.String(16), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("route", sa.JSON(), nullable=False),
        sa.Column("monthly_fee_ore", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_keyword_leases"),
        sa.ForeignKeyConstraint(
            ["number"], ["short_numbers.number"], name="fk_keyword_leases_number_short_numbers"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name="fk_keyword_leases_customer_id_customers"
        ),
    )
    op.create_index("ix_keyword_leases_customer_id", "keyword_leases", ["customer_id"])
    op.create_table(
        "lease_keywords",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("lease_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(5), nullable=False),
        sa.Column("canonical", sa.String(16), nullable=False),
        sa.Column("fold", sa.String(32), nullable=False),
        sa.Column("is_alias", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lease_keywords"),
        sa.ForeignKeyConstraint(
            ["lease_id"], ["keyword_leases.id"], name="fk_lease_keywords_lease_id_keyword_leases"
        ),
        sa.UniqueConstraint("number", "fold", name="uq_lease_keywords_number_fold"),
    )
    op.create_index("ix_lease_keywords_lease_id", "lease_keywords", ["lease_id"])


def downgrade() -> None:
    op.drop_table("lease_keywords")
    op.drop_table("keyword_leases")
    op.drop_table("reserved_words")
    op.drop_table("short_numbers")
    op.drop_table("api_keys")
    op.drop_table("customers")
