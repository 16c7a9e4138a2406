"""access-path indexes: (user_id, id) for library pages, (movie_id, id) for a movie's reviews,
(anonymous_key, movie_id, watched_at) for an anonymous view's dedup check, time columns that ranges
are asked on, and a trigram index for users(search:) on PostgreSQL (a plain one on SQLite)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
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
# An anonymous view's dedup check: its viewer's last view of that movie. Partial: signed-in rows
# (no key) stay out of it.
_ANONYMOUS = ('watch_events', 'ix_watch_events_anonymous_key', ['anonymous_key', 'movie_id', 'watched_at'])
_ANONYMOUS_ONLY = sa.text('anonymous_key IS NOT NULL')


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade() -> None:
    table, name, columns = _SEARCH
    if not _postgresql():
        for added_table, added, added_columns in [*_ADDED, _SEARCH]:
            op.create_index(added, added_table, added_columns, unique=False)
        anonymous_table, anonymous, anonymous_columns = _ANONYMOUS
        op.create_index(anonymous, anonymous_table, anonymous_columns, unique=False, sqlite_where=_ANONYMOUS_ONLY)
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
        anonymous_table, anonymous, anonymous_columns = _ANONYMOUS
        op.create_index(
            anonymous,
            anonymous_table,
            anonymous_columns,
            unique=False,
            postgresql_where=_ANONYMOUS_ONLY,
            postgresql_concurrently=True,
            if_not_exists=True,
        )
        for replaced_table, replaced, _columns in _REPLACED:
            op.drop_index(replaced, table_name=replaced_table, postgresql_concurrently=True, if_exists=True)


def downgrade() -> None:
    table, name, _columns = _SEARCH
    op.drop_index(name, table_name=table)  # pg_trgm stays: other objects may use it
    anonymous_table, anonymous, _columns = _ANONYMOUS
    op.drop_index(anonymous, table_name=anonymous_table)
    for replaced_table, replaced, columns in _REPLACED:
        op.create_index(replaced, replaced_table, columns, unique=False)
    for added_table, added, _columns in reversed(_ADDED):
        op.drop_index(added, table_name=added_table)
