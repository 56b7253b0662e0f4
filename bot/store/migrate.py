"""Bring a store's schema to the newest revision when it opens (Alembic, run in-process).

Several instances may start at once on one PostgreSQL database: the upgrade runs in one
transaction under an advisory lock, so the second waits and then finds nothing to do. On SQLite
the write transaction (``BEGIN IMMEDIATE``) does the same. A SQLite file made before the store
used migrations (tables, no ``alembic_version``) is stamped with the revision its tables match,
then upgraded like any other.

SQLAlchemy and Alembic are imported only when a store needs upgrading: they cost memory and
start-up time, and an up-to-date store, the usual case, needs neither.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.store.connection import ADVISORY_LOCK, Connection, lock_params
from bot.store.database import Database
from bot.store.url import StoreURL

if TYPE_CHECKING:
    import sqlalchemy
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
INITIAL = "0001"
"""The tables as the ad-hoc DDL of the first releases created them."""
JOB_STATE = "0002"
"""Lanes, scheduling, cancellation and totals (the last ad-hoc columns)."""
AUDIT_LINKS = "0003_audit_trail"
"""Each audit record marks its link kind (plain or keyed); checkpoints, the last pruned one's."""
UNDO_CLAIMS = "0004_undo_claims"
"""Each change of a case is claimed by at most one /undo."""
READ_POSITIONS = "0005_read_positions"
"""How far each room has been read, for platforms that catch up after a disconnect."""
SCIM_USERS = "0006_scim"
"""Directory users linked through SCIM."""
AUDIT_SINKS = "0007_audit_sinks"
"""How far each audit sink has acknowledged the chain."""
HEAD = AUDIT_SINKS
"""The newest revision shipped (a test checks it against Alembic's own answer)."""
MIGRATION_LOCK = "migrate"


def config(connection: sqlalchemy.Connection | None = None) -> Config:
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


def current(conn: Connection) -> str | None:
    """The store's revision, read without Alembic (None: never migrated)."""
    if conn.is_postgres:
        exists = conn.value("SELECT to_regclass('alembic_version') IS NOT NULL")
    else:
        exists = conn.value(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        )
    if not exists:
        return None
    rows = conn.values("SELECT version_num FROM alembic_version")
    return str(rows[0]) if len(rows) == 1 else None


@contextmanager
def sqlalchemy_connection(url: StoreURL) -> Iterator[sqlalchemy.Connection]:
    """A SQLAlchemy connection to the store, in a transaction that holds the migration lock
    (SQLite: the write lock), committed when the block ends."""
    from sqlalchemy import create_engine, event, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url.sqlalchemy, poolclass=NullPool, connect_args=url.connect_args)
    if url.backend == "sqlite":

        @event.listens_for(engine, "connect")
        def autocommit(dbapi_connection: Any, _record: Any) -> None:
            # The driver's own transaction handling off: BEGIN IMMEDIATE is said below.
            dbapi_connection.isolation_level = None

    try:
        with engine.connect() as conn:
            if url.backend == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text(ADVISORY_LOCK), lock_params(MIGRATION_LOCK))
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
    finally:
        engine.dispose()


def upgrade(connection: sqlalchemy.Connection) -> None:
    """Upgrade to head inside the caller's transaction (which commits it)."""
    from alembic import command
    from sqlalchemy import inspect

    cfg = config(connection)
    tables = inspect(connection)
    if tables.has_table("commands") and not tables.has_table("alembic_version"):
        columns = {c["name"] for c in tables.get_columns("commands")}
        command.stamp(cfg, JOB_STATE if "lane" in columns else INITIAL)
    command.upgrade(cfg, "head")


def _upgrade(url: StoreURL) -> None:
    with sqlalchemy_connection(url) as conn:
        upgrade(conn)


async def upgrade_database(db: Database) -> None:
    if await db.run(current) == HEAD:
        return  # the usual case: nothing to do, no lock taken
    await asyncio.to_thread(_upgrade, db.url)
