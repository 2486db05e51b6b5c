"""Announcements by commune: subscriptions, announcements and per-recipient deliveries.

A citizen's rows go with the citizen (``ON DELETE CASCADE`` from ``users``): «xóa dữ liệu của tôi»
deletes their subscription and delivery rows. The task queue's own schema (procrastinate, on
PostgreSQL) is not ours to migrate: :mod:`api.announce.queue` installs it when absent.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, table: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}",
                                   ondelete="CASCADE")


def upgrade() -> None:
    """Create the announcement tables."""
    op.create_table(
        "announce_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.Text(), nullable=True),
        sa.Column("context", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("commune_code", sa.Integer(), nullable=True),
        sa.Column("province_code", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        _ts("asked_at"),
        _ts("updated_at"),
        _fk("user_id", "announce_subscriptions", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_announce_subscriptions"),
        sa.UniqueConstraint("user_id", name="uq_announce_subscriptions_user_id"),
    )
    op.create_index("ix_announce_subscriptions_status_commune_code", "announce_subscriptions",
                    ["status", "commune_code"])
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("communes", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _ts("send_at", nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_index("ix_announcements_status_send_at", "announcements", ["status", "send_at"])
    op.create_table(
        "announce_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.Text(), nullable=True),
        sa.Column("context", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        _ts("lease_until", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("sent_at", nullable=True),
        _ts("updated_at"),
        _fk("announcement_id", "announce_deliveries", "announcements"),
        _fk("user_id", "announce_deliveries", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_announce_deliveries"),
        sa.UniqueConstraint("announcement_id", "user_id", name="uq_announce_deliveries_announcement_id_user_id"),
    )
    op.create_index("ix_announce_deliveries_announcement_id_status_next_attempt_at", "announce_deliveries",
                    ["announcement_id", "status", "next_attempt_at"])
    op.create_index("ix_announce_deliveries_user_id", "announce_deliveries", ["user_id"])


def downgrade() -> None:
    """Drop the announcement tables."""
    op.drop_index("ix_announce_deliveries_user_id", table_name="announce_deliveries")
    op.drop_index("ix_announce_deliveries_announcement_id_status_next_attempt_at", table_name="announce_deliveries")
    op.drop_table("announce_deliveries")
    op.drop_index("ix_announcements_status_send_at", table_name="announcements")
    op.drop_table("announcements")
    op.drop_index("ix_announce_subscriptions_status_commune_code", table_name="announce_subscriptions")
    op.drop_table("announce_subscriptions")
