"""Initial schema: users, sessions, logs, events, inboxes, de-duplication, outbox, budgets, content.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    """A UTC timestamp column (``timestamptz`` on PostgreSQL, ISO text on SQLite)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_fk(table: str, *, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete=ondelete
    )


def upgrade() -> None:
    """Create every table of ``api.store.models``."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("last_seen_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("channel", "external_id", name="uq_users_channel_external_id"),
    )
    op.create_table(
        "session_state",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _ts("updated_at"),
        _user_fk("session_state", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_session_state"),
    )
    op.create_table(
        "message_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("match_kind", sa.String(length=32), nullable=True),
        sa.Column("match_id", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        _ts("created_at"),
        _user_fk("message_log", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_message_log"),
    )
    op.create_index("ix_message_log_user_id_created_at", "message_log", ["user_id", "created_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        _ts("created_at"),
        _user_fk("events", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_name_created_at", "events", ["name", "created_at"])
    op.create_table(
        "unanswered",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        _ts("created_at"),
        _user_fk("unanswered", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_unanswered"),
    )
    op.create_index("ix_unanswered_status_created_at", "unanswered", ["status", "created_at"])
    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _ts("created_at"),
        _user_fk("handoff_requests", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_requests"),
    )
    op.create_table(
        "processed_updates",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("update_id", sa.Text(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("channel", "update_id", name="pk_processed_updates"),
    )
    op.create_index("ix_processed_updates_created_at", "processed_updates", ["created_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("context", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        _ts("sent_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "rate_budget",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_rate_budget"),
    )
    op.create_table(
        "content_entries",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("seed_hash", sa.String(length=64), nullable=True),
        sa.Column("current_hash", sa.String(length=64), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _ts("updated_at"),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name="pk_content_entries"),
    )
    op.create_table(
        "content_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_content_meta"),
    )
    op.create_table(
        "kv",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("key", name="pk_kv"),
    )


def downgrade() -> None:
    """Drop every table (children first)."""
    for table in (
        "kv",
        "content_meta",
        "content_entries",
        "rate_budget",
        "outbox",
        "processed_updates",
        "handoff_requests",
        "unanswered",
        "events",
        "message_log",
        "session_state",
        "users",
    ):
        op.drop_table(table)
