"""Inbound messages: operator links, messages, parts, dedupe, deliveries, opt-outs, dialogs,
signing secrets, number and customer settings; leases may allow digit suffixes (VOTE2).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kodeord.adapters.db.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mo_parts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sender", sa.String(length=21), nullable=False),
        sa.Column("recipient", sa.String(length=21), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data_coding", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("link", sa.String(length=64), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mo_parts")),
        sa.UniqueConstraint("sender", "recipient", "ref", "total", "seq", name="uq_mo_parts_part"),
    )
    op.create_table(
        "mo_seen",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_mo_seen")),
    )
    with op.batch_alter_table("mo_seen", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mo_seen_seen_at"), ["seen_at"], unique=False)

    op.create_table(
        "operator_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.String(length=15), nullable=False),
        sa.Column("password", sa.String(length=8), nullable=False),
        sa.Column("bind_type", sa.String(length=16), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("max_rate", sa.Float(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_links")),
        sa.UniqueConstraint("name", name=op.f("uq_operator_links_name")),
    )
    op.create_table(
        "opt_outs",
        sa.Column("number", sa.String(length=5), nullable=False),
        sa.Column("phone", sa.String(length=21), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("number", "phone", name=op.f("pk_opt_outs")),
    )
    op.create_table(
        "customer_settings",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("session_window_minutes", sa.Integer(), nullable=True),
        sa.Column("default_route", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_settings_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_settings")),
    )
    op.create_table(
        "signing_secrets",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_signing_secrets_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_signing_secrets")),
    )
    op.create_table(
        "number_settings",
        sa.Column("number", sa.String(length=5), nullable=False),
        sa.Column("help_text", sa.String(length=480), nullable=True),
        sa.Column("reply_unknown", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["number"],
            ["short_numbers.number"],
            name=op.f("fk_number_settings_number_short_numbers"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_number_settings")),
    )
    op.create_table(
        "dialogs",
        sa.Column("number", sa.String(length=5), nullable=False),
        sa.Column("subnumber", sa.String(length=8), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("lease_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_dialogs_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["lease_id"], ["keyword_leases.id"], name=op.f("fk_dialogs_lease_id_keyword_leases")
        ),
        sa.PrimaryKeyConstraint("number", "subnumber", name=op.f("pk_dialogs")),
    )
    op.create_table(
        "messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=5), nullable=True),
        sa.Column("recipient", sa.String(length=21), nullable=False),
        sa.Column("sender", sa.String(length=21), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("keyword", sa.String(length=16), nullable=True),
        sa.Column("lease_id", sa.Integer(), nullable=True),
        sa.Column("route_step", sa.String(length=32), nullable=True),
        sa.Column("destination", sa.JSON(), nullable=True),
        sa.Column("data_coding", sa.Integer(), nullable=False),
        sa.Column("encoding", sa.String(length=8), nullable=False),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("link", sa.String(length=64), nullable=True),
        sa.Column("operator_ref", sa.String(length=65), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("routed_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_messages_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["lease_id"], ["keyword_leases.id"], name=op.f("fk_messages_lease_id_keyword_leases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_customer_direction_id", ["customer_id", "direction", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_messages_operator_ref"), ["operator_ref"], unique=False
        )
        batch_op.create_index(
            "ix_messages_recipient_number", ["recipient", "number", "direction"], unique=False
        )

    op.create_table(
        "delivery_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("destination", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_delivery_attempts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_attempts_message_id"), ["message_id"], unique=False
        )

    with op.batch_alter_table("keyword_leases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_digit_suffix", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("keyword_leases", schema=None) as batch_op:
        batch_op.drop_column("allow_digit_suffix")

    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_message_id"))

    op.drop_table("delivery_attempts")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_customer_direction_id")

    op.drop_table("messages")
    op.drop_table("dialogs")
    op.drop_table("number_settings")
    op.drop_table("signing_secrets")
    op.drop_table("customer_settings")
    op.drop_table("opt_outs")
    op.drop_table("operator_links")
    with op.batch_alter_table("mo_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mo_seen_seen_at"))

    op.drop_table("mo_seen")
    op.drop_table("mo_parts")
