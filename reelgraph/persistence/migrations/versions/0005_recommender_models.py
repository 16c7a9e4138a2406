"""recommender models shared by every replica; downloads

The recommender is trained by a job and stored here, so every API process serves the same model
version (the newest row). Downloads hold files produced for someone (the analytics export, later
library exports), served from a signed link until they expire.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reelgraph.persistence.models

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('recommender_models',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('trained_on_ratings', sa.Integer(), nullable=False),
    sa.Column('trained_on_interactions', sa.Integer(), nullable=False),
    sa.Column('ratings_max_id', sa.Integer(), nullable=False),
    sa.Column('interactions_max_id', sa.Integer(), nullable=False),
    sa.Column('model', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('version'),
    sqlite_autoincrement=True,
    )
    op.create_table('downloads',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('downloads', schema=None) as batch_op:
        batch_op.create_index('ix_downloads_kind_created_at', ['kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_downloads_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_downloads_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('downloads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_downloads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_downloads_expires_at'))
        batch_op.drop_index('ix_downloads_kind_created_at')
    op.drop_table('downloads')
    op.drop_table('recommender_models')
