"""What the provider's console needs stored: when a customer was suspended, and when an
operator-inbox message was handed to a customer.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kodeord.adapters.db.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_over_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("handed_over_at")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
