"""access-path indexes: (user_id, id) for library pages, (movie_id, id) for a movie's reviews,
time columns that ranges are asked on, and a trigram index for users(search:) on PostgreSQL (a
plain one on SQLite)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, index, columns): the single-column ones they replace are prefixes of these, or of a
# unique constraint, so every lookup the old index served is still served.
_ADDED = [
    ('interactions', 'ix_interactions_user_id_id', ['user_id', 'id']),
    ('interactions', 'ix_interactions_created_at', ['created_at']),
    ('ratings', 'ix_ratings_user_id_id', ['user_id', 'id']),
    ('ratings', 'ix_ratings_created_at', ['created_at']),
    ('ratings', 'ix_ratings_updated_at', ['updated_at']),
    ('watch_events', 'ix_watch_events_user_id_id', ['user_id', 'id']),
    ('reviews', 'ix_reviews_movie_id_id', ['movie_id', 'id']),
    ('users', 'ix_users_created_at', ['created_at']),
    ('chat_sessions', 'ix_chat_sessions_updated_at', ['updated_at']),
]
_REPLACED = [
    ('interactions', 'ix_interactions_user_id', ['user_id']),
    ('ratings', 'ix_ratings_user_id', ['user_id']),
    ('watch_events', 'ix_watch_events_user_id', ['user_id']),
    ('reviews', 'ix_reviews_movie_id', ['movie_id']),
]
_SEARCH = ('users', 'ix_users_search', ['name', 'email'])


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade() -> None:
    table, name, columns = _SEARCH
    if not _postgresql():
        for added_table, added, added_columns in [*_ADDED, _SEARCH]:
            op.create_index(added, added_table, added_columns, unique=False)
        for replaced_table, replaced, _columns in _REPLACED:
            op.drop_index(replaced, table_name=replaced_table)
        return
    # Trigram GIN serves ILIKE '%term%' (a leading wildcard no btree can).
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    # CONCURRENTLY, so a large database keeps taking writes while they build (minutes at 20M
    # rows); it cannot run in a transaction. IF [NOT] EXISTS: a failed run can be run again.
    with op.get_context().autocommit_block():
        for added_table, added, added_columns in _ADDED:
            op.create_index(
                added, added_table, added_columns, unique=False, postgresql_concurrently=True, if_not_exists=True
            )
        op.create_index(
            name,
            table,
            columns,
            unique=False,
            postgresql_using='gin',
            postgresql_ops={column: 'gin_trgm_ops' for column in columns},
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        for replaced_table, replaced, _columns in _REPLACED:
            op.drop_index(replaced, table_name=replaced_table, postgresql_concurrently=True, if_exists=True)


def downgrade() -> None:
    table, name, _columns = _SEARCH
    op.drop_index(name, table_name=table)  # pg_trgm stays: other objects may use it
    for replaced_table, replaced, columns in _REPLACED:
        op.create_index(replaced, replaced_table, columns, unique=False)
    for added_table, added, _columns in reversed(_ADDED):
        op.drop_index(added, table_name=added_table)
