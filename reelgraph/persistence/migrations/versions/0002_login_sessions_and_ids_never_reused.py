"""login sessions; ids never reused

Every access token now names its login session (claim `sid`), which sign-out and password
changes revoke; the per-user `tokens_valid_after` cut-off they replace is dropped. Refresh-token
families become login sessions (their family_id is the session id).

SQLite reuses the highest rowid once its row is deleted, so a new account could take a deleted
one's id: every table whose ids are shown or referenced is rebuilt with AUTOINCREMENT, keeping its
rows, indexes and constraints. PostgreSQL's sequences never hand a value out twice: nothing to do
there for ids.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import reelgraph.persistence.models

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables with integer ids that are exposed (GraphQL ids, cursors) or referenced by other rows.
NEVER_REUSED = (
    "users",
    "roles",
    "interactions",
    "ratings",
    "reviews",
    "preferences",
    "watch_events",
    "chat_messages",
    "refresh_tokens",
    "password_reset_tokens",
)
SESSION_FK = "refresh_tokens_family_id_fkey"


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _sqlite_foreign_keys_off() -> None:
    # Rebuilding a table drops the old one, and DROP TABLE on a parent (users) runs ON DELETE
    # CASCADE on every child row: the rebuild must run with foreign keys off, as SQLite's own
    # procedure for schema changes says. That pragma is ignored inside a transaction, so close the
    # one Alembic opened (the earlier revisions are complete), switch it off, and open another;
    # Alembic commits it, with this revision's version stamp, at the end.
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys=OFF")
    op.execute("BEGIN IMMEDIATE")


def _sqlite_check_foreign_keys() -> None:
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the table rebuild: {broken[:5]}")


def upgrade() -> None:
    op.create_table('login_sessions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)
    # Each existing refresh-token family becomes a session, revoked when all its tokens are, so
    # people stay signed in across the upgrade (their old access tokens, without `sid`, expire).
    op.execute(
        "INSERT INTO login_sessions (id, user_id, created_at, revoked_at) "
        "SELECT family_id, MIN(user_id), MIN(created_at), "
        "CASE WHEN COUNT(*) = COUNT(revoked_at) THEN MAX(revoked_at) END "
        "FROM refresh_tokens GROUP BY family_id"
    )

    if not _is_sqlite():
        op.drop_column('users', 'tokens_valid_after')
        op.create_foreign_key(
            SESSION_FK, 'refresh_tokens', 'login_sessions', ['family_id'], ['id'], ondelete='CASCADE'
        )
        return

    _sqlite_foreign_keys_off()
    for table in NEVER_REUSED:
        # recreate="always": copy into a new table declared AUTOINCREMENT; batch mode reflects and
        # recreates the indexes, unique constraints and foreign keys, and keeps every row and id.
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch_op:
            if table == "users":
                batch_op.drop_column('tokens_valid_after')
            if table == "refresh_tokens":
                batch_op.create_foreign_key(
                    SESSION_FK, 'login_sessions', ['family_id'], ['id'], ondelete='CASCADE'
                )
    _sqlite_check_foreign_keys()


def downgrade() -> None:
    # Ids stay AUTOINCREMENT on SQLite: harmless for revision 0001's code, and never reusing ids
    # is what keeps old references from pointing at new rows.
    if _is_sqlite():
        _sqlite_foreign_keys_off()
        keep = {"sqlite_autoincrement": True}
        with op.batch_alter_table('refresh_tokens', recreate="always", table_kwargs=keep) as batch_op:
            batch_op.drop_constraint(SESSION_FK, type_='foreignkey')
        with op.batch_alter_table('users', recreate="always", table_kwargs=keep) as batch_op:
            batch_op.add_column(sa.Column(
                'tokens_valid_after', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=True
            ))
        _sqlite_check_foreign_keys()
    else:
        op.drop_constraint(SESSION_FK, 'refresh_tokens', type_='foreignkey')
        op.add_column('users', sa.Column(
            'tokens_valid_after', reelgraph.persistence.models.UTCDateTime(timezone=True), nullable=True
        ))
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')
