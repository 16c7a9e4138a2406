"""rollups and movie aggregates: daily_counts, active_user_days, movie_daily_views for the admin
analytics, movie_aggregates (rating count and sum, review count) for averages and mostRated
(filled by 0009)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('movie_aggregates',
    sa.Column('movie_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('rating_count', sa.Integer(), nullable=False),
    sa.Column('rating_sum', sa.Float(), nullable=False),
    sa.Column('review_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['movie_id'], ['movies.tmdb_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('movie_id'),
    )
    op.create_index('ix_movie_aggregates_most_rated', 'movie_aggregates', [sa.text('rating_count DESC'), 'movie_id'], unique=False)
    op.create_table('daily_counts',
    sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('metric', 'day'),
    )
    op.create_table('active_user_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('refs', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'user_id'),
    )
    op.create_index('ix_active_user_days_user_id', 'active_user_days', ['user_id'], unique=False)
    op.create_table('movie_daily_views',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('movie_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['movie_id'], ['movies.tmdb_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'movie_id'),
    )
    op.create_index('ix_movie_daily_views_movie_id', 'movie_daily_views', ['movie_id'], unique=False)
    # Filled from the existing rows by 0009, which adds the last column the rebuild writes.


def downgrade() -> None:
    op.drop_index('ix_movie_daily_views_movie_id', table_name='movie_daily_views')
    op.drop_table('movie_daily_views')
    op.drop_index('ix_active_user_days_user_id', table_name='active_user_days')
    op.drop_table('active_user_days')
    op.drop_table('daily_counts')
    op.drop_index('ix_movie_aggregates_most_rated', table_name='movie_aggregates')
    op.drop_table('movie_aggregates')
