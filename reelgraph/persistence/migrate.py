"""Apply Alembic migrations programmatically (CLI, `serve` in development, tests)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine


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


async def pending_revisions(engine: AsyncEngine, database_url: str) -> bool:
    """True when the database is behind the newest migration (used by /health/ready)."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    async with engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )
    return current != head
