"""library versions: users.library_version, moved by triggers on every write to the user's
interactions and ratings (whatever code path writes, imports and cascades included), so that a
library read for one request can be trusted by the next while the version is unchanged

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('interactions', 'ratings')

# PostgreSQL: one statement-level trigger per event, over its transition table, so that an import
# of thousands of rows moves each user's version once, not once per row.
_PG_FUNCTION = """
CREATE FUNCTION bump_library_version_{rows}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE users SET library_version = library_version + 1
    WHERE id IN (SELECT DISTINCT user_id FROM {rows});
    RETURN NULL;
END $$
"""
_PG_TRIGGER = """
CREATE TRIGGER {table}_library_version_{event} AFTER {event} ON {table}
REFERENCING {transition} TABLE AS {rows} FOR EACH STATEMENT
EXECUTE FUNCTION bump_library_version_{rows}()
"""
_PG_EVENTS = (('insert', 'NEW', 'new_rows'), ('update', 'NEW', 'new_rows'), ('delete', 'OLD', 'old_rows'))

# SQLite has no statement-level triggers: one per row (its writes are small and local).
_SQLITE_TRIGGER = """
CREATE TRIGGER {table}_library_version_{event} AFTER {event} ON {table} FOR EACH ROW
BEGIN
    UPDATE users SET library_version = library_version + 1 WHERE id IN ({users});
END
"""
_SQLITE_USERS = {'insert': 'NEW.user_id', 'update': 'NEW.user_id, OLD.user_id', 'delete': 'OLD.user_id'}


def upgrade() -> None:
    # Plain ALTER TABLE on both (no batch copy of users on SQLite: dropping the old table would
    # cascade into every table that references it).
    op.add_column('users', sa.Column('library_version', sa.Integer(), nullable=False, server_default='0'))
    if op.get_bind().dialect.name == 'postgresql':
        for rows in ('new_rows', 'old_rows'):
            op.execute(_PG_FUNCTION.format(rows=rows))
        for table in TABLES:
            for event, transition, rows in _PG_EVENTS:
                op.execute(_PG_TRIGGER.format(table=table, event=event, transition=transition, rows=rows))
    else:
        for table in TABLES:
            for event, users in _SQLITE_USERS.items():
                op.execute(_SQLITE_TRIGGER.format(table=table, event=event, users=users))


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table in TABLES:
        for event in _SQLITE_USERS:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_library_version_{event}' + (f' ON {table}' if postgresql else ''))
    if postgresql:
        for rows in ('new_rows', 'old_rows'):
            op.execute(f'DROP FUNCTION IF EXISTS bump_library_version_{rows}()')
    op.execute('ALTER TABLE users DROP COLUMN library_version')  # SQLite 3.35+ and PostgreSQL
