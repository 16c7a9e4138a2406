"""Apply Alembic migrations programmatically (CLI, `serve` in development, tests), and tell
whether a database is behind them (readiness)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def alembic_config(database_url: str) -> Config:
    script_location = str(resources.files("reelgraph.persistence") / "migrations")
    config = Config()
    config.set_main_option("script_location", script_location)
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Blocking: run it in a thread from async code (env.py runs its own event loop)."""
    command.upgrade(alembic_config(database_url), "head")


@cache
def head_revisions() -> frozenset[str]:
    """The newest migrations of this code; read once, the scripts do not change while it runs."""
    script = ScriptDirectory.from_config(alembic_config(""))  # no database needed to read scripts
    return frozenset(script.get_heads())


async def applied_revisions(connection: AsyncConnection) -> frozenset[str]:
    """The revisions the database is at; empty when no migration ever ran (a fresh database)."""

    def read(sync_connection: Connection) -> frozenset[str]:
        # Read directly: Alembic's MigrationContext logs at INFO on every call, and readiness
        # probes call this every few seconds.
        if not inspect(sync_connection).has_table(VERSION_TABLE):
            return frozenset()
        rows = sync_connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
        return frozenset(row[0] for row in rows)

    return await connection.run_sync(read)
