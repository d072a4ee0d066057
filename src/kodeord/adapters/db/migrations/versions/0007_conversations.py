"""Conversations: a dialog remembers the phone it talks to (so the customer's next MT to
that phone reuses its suffix), and a number can switch dialog IDs on.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dialogs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=21), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_dialogs_number_phone"), ["number", "phone"], unique=False
        )
    with op.batch_alter_table("number_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dialog_ids", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("number_settings", schema=None) as batch_op:
        batch_op.drop_column("dialog_ids")
    with op.batch_alter_table("dialogs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dialogs_number_phone"))
        batch_op.drop_column("phone")
