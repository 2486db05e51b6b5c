"""Outbox: the claim index leads with the channel, (channel, status, next_attempt_at).

Each channel's sender claims only its own rows. With (status, next_attempt_at) a claim walked
past every due row of the other channels (a Zalo backlog slowed Telegram's claims, inside the
claiming transaction); with the channel first each claim reads only its own rows, in order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "ix_outbox_status_next_attempt_at"
_NEW = "ix_outbox_channel_status_next_attempt_at"


def upgrade() -> None:
    """Replace the claim index."""
    op.create_index(_NEW, "outbox", ["channel", "status", "next_attempt_at"])
    op.drop_index(_OLD, table_name="outbox")


def downgrade() -> None:
    """Put the old claim index back."""
    op.create_index(_OLD, "outbox", ["status", "next_attempt_at"])
    op.drop_index(_NEW, table_name="outbox")
