"""community trending

This server's own trending lists (one per window), replaced whole by each run of the
community-trending job, read by every replica.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reelgraph.persistence.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "community_trending",
        sa.Column("window", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("tmdb_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("viewers", sa.Integer(), nullable=False),
        sa.Column("computed_at", reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("window", "rank"),
    )


def downgrade() -> None:
    op.drop_table("community_trending")
