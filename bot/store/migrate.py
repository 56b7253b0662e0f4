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
from typing import TYPE_CHECKING

from sqlalchemy import Column, MetaData, String, Table, inspect, select
from sqlalchemy.engine import Connection

from bot.store.database import Database, advisory_lock

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic itself is imported only when a store needs upgrading (it costs memory and start-up
# time, and an up-to-date store, the usual case, needs none of it).

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
INITIAL = "0001"
"""The tables as the ad-hoc DDL of the first releases created them."""
JOB_STATE = "0002"
"""Lanes, scheduling, cancellation and totals (the last ad-hoc columns)."""
HEAD = JOB_STATE
"""The newest revision shipped (a test checks it against Alembic's own answer)."""


def config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head() -> str:
    """The newest revision, as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None, "no migrations shipped"
    return revision


def current(connection: Connection) -> str | None:
    """The store's revision, read without Alembic (None: never migrated)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    version = Table("alembic_version", MetaData(), Column("version_num", String))
    rows = connection.execute(select(version.c.version_num)).scalars().all()
    return rows[0] if len(rows) == 1 else None


def upgrade(connection: Connection) -> None:
    """Upgrade to head inside the caller's transaction (which commits it)."""
    from alembic import command

    advisory_lock(connection, "migrate")
    cfg = config(connection)
    tables = inspect(connection)
    if tables.has_table("commands") and not tables.has_table("alembic_version"):
        columns = {c["name"] for c in tables.get_columns("commands")}
        command.stamp(cfg, JOB_STATE if "lane" in columns else INITIAL)
    command.upgrade(cfg, "head")


async def upgrade_database(db: Database) -> None:
    if await db.run(current) == HEAD:
        return  # the usual case: nothing to do, no lock taken
    await db.run(upgrade, atomic=True)
