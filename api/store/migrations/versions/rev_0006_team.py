"""Community digital-technology teams: units, invites, members, their chat accounts, counts.

``org_units`` is a tree (province → commune or ward → team). ``invites`` keep only a hash of the
code. ``attributions`` (one row per citizen: first touch), ``completions`` (one per citizen, member
and guide) and ``help_records`` (in-person help, a count) are what the stats add up; a citizen's
id in them becomes NULL when the citizen deletes their data.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _fk(column: str, table: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}", ondelete=ondelete)


def upgrade() -> None:
    """Create the team tables."""
    op.create_table(
        "org_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _ts("created_at"),
        _fk("parent_id", "org_units", "org_units", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name="pk_org_units"),
    )
    op.create_index("ix_org_units_parent_id", "org_units", ["parent_id"])
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        _ts("expires_at"),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _ts("created_at"),
        _fk("unit_id", "invites", "org_units", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_invites"),
        sa.UniqueConstraint("code_hash", name="uq_invites_code_hash"),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("referral_code", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _fk("unit_id", "members", "org_units", "RESTRICT"),
        _fk("account_id", "members", "admin_accounts", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.UniqueConstraint("referral_code", name="uq_members_referral_code"),
        sa.UniqueConstraint("account_id", name="uq_members_account_id"),
    )
    op.create_index("ix_members_unit_id", "members", ["unit_id"])
    op.create_table(
        "member_chats",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        _ts("created_at"),
        _fk("member_id", "member_chats", "members", "CASCADE"),
        sa.PrimaryKeyConstraint("channel", "external_id", name="pk_member_chats"),
    )
    op.create_index("ix_member_chats_member_id", "member_chats", ["member_id"])
    op.create_table(
        "attributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        _ts("at"),
        _fk("user_id", "attributions", "users", "SET NULL"),
        _fk("member_id", "attributions", "members", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_attributions"),
        sa.UniqueConstraint("user_id", name="uq_attributions_user_id"),
    )
    op.create_index("ix_attributions_member_id_at", "attributions", ["member_id", "at"])
    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(length=32), nullable=False),
        _ts("at"),
        _fk("user_id", "completions", "users", "SET NULL"),
        _fk("member_id", "completions", "members", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_completions"),
        sa.UniqueConstraint("user_id", "member_id", "flow", name="uq_completions_user_id_member_id_flow"),
    )
    op.create_index("ix_completions_member_id_at", "completions", ["member_id", "at"])
    op.create_table(
        "help_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _ts("at"),
        _fk("member_id", "help_records", "members", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_help_records"),
    )
    op.create_index("ix_help_records_member_id_at", "help_records", ["member_id", "at"])


def downgrade() -> None:
    """Drop the team tables."""
    for index, table in (
        ("ix_help_records_member_id_at", "help_records"),
        ("ix_completions_member_id_at", "completions"),
        ("ix_attributions_member_id_at", "attributions"),
        ("ix_member_chats_member_id", "member_chats"),
    ):
        op.drop_index(index, table_name=table)
        op.drop_table(table)
    op.drop_index("ix_members_unit_id", table_name="members")
    op.drop_table("members")
    op.drop_table("invites")
    op.drop_index("ix_org_units_parent_id", table_name="org_units")
    op.drop_table("org_units")
