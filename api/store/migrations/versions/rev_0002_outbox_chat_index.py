"""Outbox: index (channel, chat_id, status) for the sender's per-chat ordering check.

Before claiming, the sender looks for older unsent rows of the chats it claimed; without this
index that query read every unsent row, inside the claiming transaction.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_outbox_channel_chat_id_status"


def upgrade() -> None:
    """Add the index."""
    op.create_index(_INDEX, "outbox", ["channel", "chat_id", "status"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index(_INDEX, table_name="outbox")
