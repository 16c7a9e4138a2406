"""job runs

Every run of a background job (queued, running, finished), shared by the API processes that
enqueue and the workers that run them; the admin API lists them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reelgraph.persistence.models

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('queued_at', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('lease_until', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_name_status', ['name', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_runs_period_key'), ['period_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_period_key'))
        batch_op.drop_index('ix_job_runs_name_status')
    op.drop_table('job_runs')
