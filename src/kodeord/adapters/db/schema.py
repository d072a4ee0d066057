"""The relational schema, as SQLAlchemy Core tables: the one description of our storage.

Alembic migrations (in `migrations/`) create and change it; tests check that the
migrated database matches these tables. Timestamps are stored in UTC; money is integer
øre. `lease_keywords` holds one row per keyword of an active lease (the main keyword and
its aliases) with a unique (number, fold) pair: that constraint is what makes two
customers unable to hold `BLÅBÆR` and `BLAABAER` on one number, even under races.
Rows leave `lease_keywords` when a lease ends; the lease row stays as history.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

# Re-exported: callers read `schema.metadata` (every table, the queue's included).
from kodeord.adapters.db.types import UTCDateTime as UTCDateTime
from kodeord.adapters.db.types import metadata as metadata

# 64-bit ids where rows are many; SQLite's rowid alias must be spelled INTEGER.
BigId = BigInteger().with_variant(Integer, "sqlite")

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # migration 0009: set while the provider has the customer suspended
    Column("suspended_at", UTCDateTime(), nullable=True),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    # migration 0006: a name the customer gives the key, and when it was last presented
    Column("name", String(100), nullable=True),
    Column("last_used_at", UTCDateTime(), nullable=True),
)

# migration 0008: console users, their sessions, sign-in failures and one-time links
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=True),  # None until an invitation is used
    Column("role", String(10), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=True, index=True),
    Column("language", String(2), nullable=False, server_default="nb"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("disabled_at", UTCDateTime(), nullable=True),
)

console_sessions = Table(
    "console_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("first_at", UTCDateTime(), nullable=False),
    Column("locked_until", UTCDateTime(), nullable=True),
)

user_tokens = Table(
    "user_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("purpose", String(10), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime(), nullable=True),
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
    # what one SMS segment sent from this number costs the customer (migration 0004)
    Column("segment_price_ore", BigInteger, nullable=False, server_default="0"),
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
    Column("allow_digit_suffix", Boolean, nullable=False, server_default=false()),
    # the lease's term (migration 0005): monthly, renewed until cancelled
    Column("term_ends_at", UTCDateTime(), nullable=True),
    Column("cancel_at_term_end", Boolean, nullable=False, server_default=false()),
    Column("billed_months", Integer, nullable=False, server_default="1"),
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


# --- inbound messages (migration 0003) ------------------------------------------------

operator_links = Table(
    "operator_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("system_id", String(15), nullable=False),
    # encrypted at rest (migration 0006 widened it for the ciphertext)
    Column("password", String(300), nullable=False),
    Column("bind_type", String(16), nullable=False),
    Column("window", Integer, nullable=False),
    Column("max_rate", Float, nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("direction", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=True),
    Column("number", String(5), nullable=True),
    Column("recipient", String(21), nullable=False),
    Column("sender", String(21), nullable=False),
    Column("text", Text, nullable=False),
    Column("body", Text, nullable=True),
    Column("keyword", String(16), nullable=True),
    Column("lease_id", Integer, ForeignKey("keyword_leases.id"), nullable=True),
    Column("route_step", String(32), nullable=True),
    Column("destination", JSON, nullable=True),
    Column("data_coding", Integer, nullable=False),
    Column("encoding", String(8), nullable=False),
    Column("segments", Integer, nullable=False),
    Column("link", String(64), nullable=True),
    Column("operator_ref", String(65), nullable=True, index=True),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("routed_at", UTCDateTime(), nullable=True),
    Column("delivered_at", UTCDateTime(), nullable=True),
    # outbound (migration 0004)
    Column("price_ore", BigInteger, nullable=True),
    Column("reference", String(100), nullable=True),
    Column("callback_url", String(2000), nullable=True),
    Column("send_at", UTCDateTime(), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("origin", String(32), nullable=True),  # "api", "smpp:<system_id>", "gateway"
    Column("wants_receipt", Boolean, nullable=True),
    Column("error", String(200), nullable=True),
    # migration 0006: when retention erased the text and phone number
    Column("erased_at", UTCDateTime(), nullable=True),
    # migration 0009: when the provider handed this operator-inbox MO to a customer
    Column("handed_over_at", UTCDateTime(), nullable=True),
    Index("ix_messages_customer_direction_id", "customer_id", "direction", "id"),
    # the open-session lookup: the last MTs from a number to one phone
    Index("ix_messages_recipient_number", "recipient", "number", "direction"),
    # migration 0010: a customer's conversation threads (number, then phone)
    Index("ix_messages_customer_number_id", "customer_id", "number", "id"),
)

mo_parts = Table(
    "mo_parts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("sender", String(21), nullable=False),
    Column("recipient", String(21), nullable=False),
    Column("ref", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("data_coding", Integer, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("link", String(64), nullable=True),
    Column("received_at", UTCDateTime(), nullable=False),
    UniqueConstraint("sender", "recipient", "ref", "total", "seq", name="uq_mo_parts_part"),
)

mo_seen = Table(
    "mo_seen",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("message_id", BigInteger, nullable=False),
    Column("seen_at", UTCDateTime(), nullable=False, index=True),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("message_id", BigInteger, ForeignKey("messages.id"), nullable=False, index=True),
    Column("destination", String(16), nullable=False),
    Column("target", String(2000), nullable=True),
    Column("attempt", Integer, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(500), nullable=True),
    Column("duration_ms", Float, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)

opt_outs = Table(
    "opt_outs",
    metadata,
    Column("number", String(5), primary_key=True),
    Column("phone", String(21), primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# migration 0010: how far a customer has read each conversation thread
conversation_reads = Table(
    "conversation_reads",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("number", String(5), primary_key=True),
    Column("phone", String(21), primary_key=True),
    Column("read_up_to", BigInteger, nullable=False),  # the newest message id read
    Column("read_at", UTCDateTime(), nullable=False),
)

dialogs = Table(
    "dialogs",
    metadata,
    Column("number", String(5), primary_key=True),
    Column("subnumber", String(8), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("lease_id", Integer, ForeignKey("keyword_leases.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    # migration 0007: the phone this dialog talks to (None on rows written before it)
    Column("phone", String(21), nullable=True),
    Index("ix_dialogs_number_phone", "number", "phone"),
)

signing_secrets = Table(
    "signing_secrets",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    # encrypted at rest (migration 0006 widened it for the ciphertext)
    Column("secret", String(300), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

number_settings = Table(
    "number_settings",
    metadata,
    Column("number", String(5), ForeignKey("short_numbers.number"), primary_key=True),
    Column("help_text", String(480), nullable=True),
    Column("reply_unknown", Boolean, nullable=False),
    # migration 0007: MT in a conversation goes out from the number plus a dialog suffix
    Column("dialog_ids", Boolean, nullable=False, server_default=false()),
    # migration 0007a: the language of the number's automatic replies (domain/texts.py)
    Column("reply_language", String(2), nullable=False, default="nb", server_default="nb"),
)

# migration 0007a: a number's own versions of the gateway's texts, per language
number_texts = Table(
    "number_texts",
    metadata,
    Column("number", String(5), ForeignKey("short_numbers.number"), primary_key=True),
    Column("key", String(40), primary_key=True),
    Column("language", String(2), primary_key=True),
    Column("text", String(1000), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

customer_settings = Table(
    "customer_settings",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("session_window_minutes", Integer, nullable=True),
    Column("default_route", JSON, nullable=True),
    # migration 0006: the customer's sending limit per API key (None: the gateway default)
    Column("send_rate_per_second", Float, nullable=True),
    Column("send_burst", Integer, nullable=True),
)

# --- outbound messages (migration 0004) -----------------------------------------------

message_parts = Table(
    "message_parts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("message_id", BigInteger, ForeignKey("messages.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("link", String(64), nullable=True),
    Column("operator_ref", String(65), nullable=True, index=True),
    Column("status", String(16), nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=True),
    Column("done_at", UTCDateTime(), nullable=True),
    UniqueConstraint("message_id", "seq", name="uq_message_parts_message_seq"),
)

message_events = Table(
    "message_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("message_id", BigInteger, ForeignKey("messages.id"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("detail", String(200), nullable=True),
    Column("at", UTCDateTime(), nullable=False),
)

smpp_accounts = Table(
    "smpp_accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("system_id", String(15), nullable=False, unique=True),
    Column("password_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

# --- keyword lifecycle (migration 0005) ----------------------------------------------

keyword_quarantine = Table(
    "keyword_quarantine",
    metadata,
    Column("number", String(5), primary_key=True),
    Column("fold", String(32), primary_key=True),
    Column("keyword", String(16), nullable=False),
    Column("holder_customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
)

keyword_events = Table(
    "keyword_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lease_id", Integer, ForeignKey("keyword_leases.id"), nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("actor", String(32), nullable=False),  # "admin", "customer:<id>", "system"
    Column("detail", JSON, nullable=True),
    Column("at", UTCDateTime(), nullable=False),
)

brands = Table(
    "brands",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("holder_customer_id", Integer, ForeignKey("customers.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

keyword_claims = Table(
    "keyword_claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(5), nullable=False),
    Column("keyword", String(16), nullable=False),
    Column("lease_id", Integer, ForeignKey("keyword_leases.id"), nullable=False),
    Column("claimant_customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("status", String(16), nullable=False),  # open, transferred, rejected
    Column("note", String(1000), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
)

# --- hardening (migration 0006) ---------------------------------------------------------

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor", String(64), nullable=False),  # "admin", "customer:<id>/key:<id>", "cli"
    Column("action", String(64), nullable=False),  # e.g. "api_key.revoke"
    Column("target", String(200), nullable=True),  # e.g. "api_key:12"
    Column("customer_id", Integer, nullable=True, index=True),  # whose data it touched
    Column("source", String(64), nullable=True),  # the client address
    Column("detail", JSON, nullable=True),
)

# The job queue keeps its table in its own package; importing it registers `jobs` in
# `metadata` (it imports only `types`, so there is no cycle back to this module).
from kodeord.adapters.queue import schema as _queue_schema  # noqa: E402, F401
