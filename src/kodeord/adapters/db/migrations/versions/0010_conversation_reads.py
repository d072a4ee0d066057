"""Conversations in the console: how far a customer has read each thread (one per phone
and number), for the inbox's unread counts.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kodeord.adapters.db.schema import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_reads",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=5), nullable=False),
        sa.Column("phone", sa.String(length=21), nullable=False),
        sa.Column("read_up_to", sa.BigInteger(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("customer_id", "number", "phone"),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_customer_number_id", ["customer_id", "number", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_customer_number_id")
    op.drop_table("conversation_reads")
