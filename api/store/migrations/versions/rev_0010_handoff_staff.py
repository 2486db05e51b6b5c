"""Hand-off staff: accounts on duty for a unit, Telegram users linked to accounts, and each
citizen's topic or reply thread in the staff Telegram group.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _fk(column: str, table: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete="CASCADE")


def upgrade() -> None:
    """Create the staff tables."""
    op.create_table(
        "handoff_staff",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        _ts("created_at"),
        _fk("account_id", "handoff_staff", "admin_accounts"),
        _fk("unit_id", "handoff_staff", "org_units"),
        sa.PrimaryKeyConstraint("account_id", name="pk_handoff_staff"),
    )
    op.create_index("ix_handoff_staff_unit_id", "handoff_staff", ["unit_id"])
    op.create_table(
        "staff_telegram",
        sa.Column("telegram_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        _ts("created_at"),
        _fk("account_id", "staff_telegram", "admin_accounts"),
        sa.PrimaryKeyConstraint("telegram_user_id", name="pk_staff_telegram"),
        sa.UniqueConstraint("account_id", name="uq_staff_telegram_account_id"),
    )
    op.create_table(
        "handoff_threads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("root_message_id", sa.BigInteger(), nullable=True),
        _ts("created_at"),
        _fk("user_id", "handoff_threads", "users"),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_threads"),
        sa.UniqueConstraint("group_chat_id", "user_id", name="uq_handoff_threads_group_chat_id_user_id"),
    )
    op.create_index("ix_handoff_threads_group_chat_id_thread_id", "handoff_threads", ["group_chat_id", "thread_id"])
    op.create_table(
        "handoff_group_posts",
        sa.Column("group_chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _fk("user_id", "handoff_group_posts", "users"),
        sa.PrimaryKeyConstraint("group_chat_id", "message_id", name="pk_handoff_group_posts"),
    )


def downgrade() -> None:
    """Drop the staff tables."""
    op.drop_table("handoff_group_posts")
    op.drop_index("ix_handoff_threads_group_chat_id_thread_id", table_name="handoff_threads")
    op.drop_table("handoff_threads")
    op.drop_table("staff_telegram")
    op.drop_index("ix_handoff_staff_unit_id", table_name="handoff_staff")
    op.drop_table("handoff_staff")
