"""movie view counts: movie_aggregates.view_count (watch events of all time) for mostWatched's
candidates, movie_daily_views indexed by (movie_id, day); then every rollup filled from the
existing rows, as `reelgraph analytics backfill` does

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reelgraph.persistence import rollups

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('movie_aggregates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('view_count', sa.Integer(), nullable=False, server_default='0'))
    op.create_index('ix_movie_aggregates_most_viewed', 'movie_aggregates', [sa.text('view_count DESC'), 'movie_id'], unique=False)
    op.create_index('ix_movie_daily_views_movie_id_day', 'movie_daily_views', ['movie_id', 'day'], unique=False)
    op.drop_index('ix_movie_daily_views_movie_id', table_name='movie_daily_views')
    # Backfill: the same grouped INSERT ... SELECTs as the command (nothing else writes during a
    # migration, so no lock is needed). On an empty database they insert nothing.
    bind = op.get_bind()
    for statement in rollups.rebuild_statements():
        bind.execute(statement)


def downgrade() -> None:
    op.create_index('ix_movie_daily_views_movie_id', 'movie_daily_views', ['movie_id'], unique=False)
    op.drop_index('ix_movie_daily_views_movie_id_day', table_name='movie_daily_views')
    op.drop_index('ix_movie_aggregates_most_viewed', table_name='movie_aggregates')
    with op.batch_alter_table('movie_aggregates', schema=None) as batch_op:
        batch_op.drop_column('view_count')
