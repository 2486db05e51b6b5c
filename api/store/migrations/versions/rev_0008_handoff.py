"""Hand-off to a person: the conversations handed over, their lines, and units' office hours.

A citizen's rows go with the citizen (``ON DELETE CASCADE`` from ``users``); a unit removed leaves
its hand-offs in the province queue (``unit_id`` NULL).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete)


def upgrade() -> None:
    """Create the hand-off tables."""
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.Text(), nullable=True),
        sa.Column("context", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        _ts("claimed_at", nullable=True),
        _ts("due_at"),
        _ts("escalated_at", nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        _ts("closed_at", nullable=True),
        _ts("created_at"),
        _fk("user_id", "handoffs", "users", "CASCADE"),
        _fk("unit_id", "handoffs", "org_units", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
    )
    op.create_index("ix_handoffs_status_due_at", "handoffs", ["status", "due_at"])
    op.create_index("ix_handoffs_user_id_status", "handoffs", ["user_id", "status"])
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=16), nullable=False),
        sa.Column("staff", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        _ts("created_at"),
        _fk("handoff_id", "handoff_messages", "handoffs", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_handoff_messages"),
    )
    op.create_index("ix_handoff_messages_handoff_id_id", "handoff_messages", ["handoff_id", "id"])
    op.create_table(
        "handoff_hours",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("pickup_minutes", sa.Integer(), nullable=False),
        _ts("updated_at"),
        _fk("unit_id", "handoff_hours", "org_units", "CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", name="pk_handoff_hours"),
    )


def downgrade() -> None:
    """Drop the hand-off tables."""
    op.drop_table("handoff_hours")
    op.drop_index("ix_handoff_messages_handoff_id_id", table_name="handoff_messages")
    op.drop_table("handoff_messages")
    op.drop_index("ix_handoffs_user_id_status", table_name="handoffs")
    op.drop_index("ix_handoffs_status_due_at", table_name="handoffs")
    op.drop_table("handoffs")
