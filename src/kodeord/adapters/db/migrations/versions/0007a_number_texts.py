"""The gateway's texts per number: a number's reply language and its own versions of
the texts it answers phones with (domain/texts.py).

Revision ID: 0007a
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kodeord.adapters.db.schema import UTCDateTime

revision = "0007a"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("number_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reply_language", sa.String(length=2), nullable=False, server_default="nb")
        )
    op.create_table(
        "number_texts",
        sa.Column("number", sa.String(length=5), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["number"], ["short_numbers.number"]),
        sa.PrimaryKeyConstraint("number", "key", "language"),
    )


def downgrade() -> None:
    op.drop_table("number_texts")
    with op.batch_alter_table("number_settings", schema=None) as batch_op:
        batch_op.drop_column("reply_language")
