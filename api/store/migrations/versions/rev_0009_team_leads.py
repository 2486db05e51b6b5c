"""Team leads: a member who leads their team and sees the counts of every member of it.

One row per lead (a member leads the team they are in); removing the member removes the row
(``ON DELETE CASCADE``), and the app deletes it when the member moves to another team.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the team-lead table."""
    op.create_table(
        "team_leads",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("appointed_by", sa.String(length=64), nullable=False),
        sa.Column("appointed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_team_leads_member_id_members",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name="pk_team_leads"),
    )


def downgrade() -> None:
    """Drop the team-lead table."""
    op.drop_table("team_leads")
