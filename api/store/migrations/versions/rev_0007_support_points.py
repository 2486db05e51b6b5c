"""Support points (where to get help in person) and their time windows.

``support_points`` holds a place with its post-2025 unit codes (province, commune or ward, from the
``vietnam-provinces`` package) and map location; ``support_windows`` its weekly or one-off time
windows in Vietnam's local time. Nothing about citizens is stored here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the support point tables."""
    op.create_table(
        "support_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("province_code", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("bring", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_support_points"),
    )
    op.create_index("ix_support_points_commune_code", "support_points", ["commune_code"])
    op.create_index("ix_support_points_province_code", "support_points", ["province_code"])
    op.create_table(
        "support_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(["point_id"], ["support_points.id"], name="fk_support_windows_point_id_support_points",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_support_windows"),
    )
    op.create_index("ix_support_windows_point_id", "support_windows", ["point_id"])


def downgrade() -> None:
    """Drop the support point tables."""
    op.drop_index("ix_support_windows_point_id", table_name="support_windows")
    op.drop_table("support_windows")
    op.drop_index("ix_support_points_province_code", table_name="support_points")
    op.drop_index("ix_support_points_commune_code", table_name="support_points")
    op.drop_table("support_points")
