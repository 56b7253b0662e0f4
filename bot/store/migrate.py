"""Bring a store's schema to the newest revision when it opens (Alembic, run in-process).

Several instances may start at once on one PostgreSQL database: the upgrade runs in one
transaction under an advisory lock, so the second waits and then finds nothing to do. On SQLite
the write transaction (``BEGIN IMMEDIATE``) does the same. A SQLite file made before the store
used migrations (tables, no ``alembic_version``) is stamped with the revision its tables match,
then upgraded like any other.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from bot.store.database import Database, advisory_lock

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
INITIAL = "0001"
"""The tables as the ad-hoc DDL of the first releases created them."""
JOB_STATE = "0002"
"""Lanes, scheduling, cancellation and totals (the last ad-hoc columns)."""


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head() -> str:
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None, "no migrations shipped"
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Upgrade to head inside the caller's transaction (which commits it)."""
    advisory_lock(connection, "migrate")
    cfg = config(connection)
    tables = inspect(connection)
    if tables.has_table("commands") and not tables.has_table("alembic_version"):
        columns = {c["name"] for c in tables.get_columns("commands")}
        command.stamp(cfg, JOB_STATE if "lane" in columns else INITIAL)
    command.upgrade(cfg, "head")


async def upgrade_database(db: Database) -> None:
    if await db.run(current) == head():
        return  # the usual case: nothing to do, no lock taken
    await db.run(upgrade, atomic=True)
