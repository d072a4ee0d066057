"""Keyword lifecycle: lease terms (monthly, renewed until cancelled), quarantine after
release, an audit history per lease, protected brands and claims.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kodeord.adapters.db.schema import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("keyword_leases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("term_ends_at", UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("cancel_at_term_end", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("billed_months", sa.Integer(), server_default="1", nullable=False)
        )
    op.create_table(
        "keyword_quarantine",
        sa.Column("number", sa.String(length=5), nullable=False),
        sa.Column("fold", sa.String(length=32), nullable=False),
        sa.Column("keyword", sa.String(length=16), nullable=False),
        sa.Column("holder_customer_id", sa.Integer(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_customer_id"],
            ["customers.id"],
            name=op.f("fk_keyword_quarantine_holder_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("number", "fold", name=op.f("pk_keyword_quarantine")),
    )
    op.create_table(
        "keyword_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lease_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lease_id"],
            ["keyword_leases.id"],
            name=op.f("fk_keyword_events_lease_id_keyword_leases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyword_events")),
    )
    with op.batch_alter_table("keyword_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_keyword_events_lease_id"), ["lease_id"], unique=False)
    op.create_table(
        "brands",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder_customer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["holder_customer_id"],
            ["customers.id"],
            name=op.f("fk_brands_holder_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brands")),
        sa.UniqueConstraint("name", name=op.f("uq_brands_name")),
    )
    op.create_table(
        "keyword_claims",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=5), nullable=False),
        sa.Column("keyword", sa.String(length=16), nullable=False),
        sa.Column("lease_id", sa.Integer(), nullable=False),
        sa.Column("claimant_customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["claimant_customer_id"],
            ["customers.id"],
            name=op.f("fk_keyword_claims_claimant_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["lease_id"],
            ["keyword_leases.id"],
            name=op.f("fk_keyword_claims_lease_id_keyword_leases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_keyword_claims")),
    )


def downgrade() -> None:
    op.drop_table("keyword_claims")
    op.drop_table("brands")
    op.drop_table("keyword_events")
    op.drop_table("keyword_quarantine")
    with op.batch_alter_table("keyword_leases", schema=None) as batch_op:
        batch_op.drop_column("billed_months")
        batch_op.drop_column("cancel_at_term_end")
        batch_op.drop_column("term_ends_at")
