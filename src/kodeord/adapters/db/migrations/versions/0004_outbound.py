"""Outbound messages: price, reference, callback, schedule and validity on messages; their
parts (operator ids for receipts), their status history; customers' SMPP accounts; the
price of a segment per short number.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kodeord.adapters.db.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("short_numbers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("segment_price_ore", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("price_ore", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("reference", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("callback_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("send_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("wants_receipt", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("error", sa.String(length=200), nullable=True))
    op.create_table(
        "message_parts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=64), nullable=True),
        sa.Column("operator_ref", sa.String(length=65), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_parts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_parts")),
        sa.UniqueConstraint("message_id", "seq", name="uq_message_parts_message_seq"),
    )
    with op.batch_alter_table("message_parts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_parts_operator_ref"), ["operator_ref"], unique=False
        )
    op.create_table(
        "message_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_events_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_events")),
    )
    with op.batch_alter_table("message_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_events_message_id"), ["message_id"], unique=False
        )
    op.create_table(
        "smpp_accounts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=15), nullable=False),
        sa.Column("password_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_smpp_accounts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smpp_accounts")),
        sa.UniqueConstraint("system_id", name=op.f("uq_smpp_accounts_system_id")),
    )
    with op.batch_alter_table("smpp_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_smpp_accounts_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("smpp_accounts")
    op.drop_table("message_events")
    op.drop_table("message_parts")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        for column in (
            "error",
            "wants_receipt",
            "origin",
            "expires_at",
            "send_at",
            "callback_url",
            "reference",
            "price_ore",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("short_numbers", schema=None) as batch_op:
        batch_op.drop_column("segment_price_ore")
