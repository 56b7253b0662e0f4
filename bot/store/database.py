"""The connection to the store's database: SQLite (embedded, one host) or PostgreSQL (shared by
several instances), one SQLAlchemy Core code for both.

Every use of the database is a plain function of a SQLAlchemy ``Connection`` handed to
``Database.run``, which runs it as one unit:

- PostgreSQL: on the asyncio engine (asyncpg), in a transaction, through ``run_sync``; a pool of
  connections; concurrency is row locks and advisory locks (see ``advisory_lock``).
- SQLite: on the process's one connection, which lives on one thread of its own; the whole
  function runs there in one hop from the event loop. Going through an asyncio driver instead
  costs a thread round trip per driver call (cursor, execute, fetch, close: about 45 per
  command against about 10 here), which made the command path several times slower. WAL (so
  several processes on one host can share the file), a 5 s busy timeout, one writer: an
  ``atomic`` unit takes the write lock when it begins (``BEGIN IMMEDIATE``), so it never fails
  half-way because another process wrote in between; other units autocommit each statement.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Table, create_engine, event, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:  # PostgreSQL's parts are imported only for a PostgreSQL store
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import ConfigError

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
_LOCK_CLASS = 0x6B69636B  # "kick": the first key of every advisory lock kickbot takes

SUPPORTED = "sqlite:///PATH, postgresql://USER@HOST/DB or postgresql+asyncpg://…"


def engine_url(url: str) -> tuple[URL, dict[str, Any]]:
    """The SQLAlchemy URL (with the driver the store uses) and connect arguments.

    A PostgreSQL URL may name the schema to use: ``?search_path=kickbot``."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"store: {url!r} is not a database URL ({SUPPORTED})") from None
    backend, _, driver = parsed.drivername.partition("+")
    connect_args: dict[str, Any] = {}
    if backend == "sqlite" and driver in ("", "pysqlite", "aiosqlite"):
        return parsed.set(drivername="sqlite+pysqlite"), connect_args
    if backend in ("postgresql", "postgres") and driver in ("", "asyncpg"):
        query = dict(parsed.query)
        search_path = query.pop("search_path", None)
        if search_path is not None:
            connect_args["server_settings"] = {"search_path": str(search_path)}
        return parsed.set(drivername="postgresql+asyncpg", query=query), connect_args
    raise ConfigError(f"store: unsupported database URL {parsed.drivername}:// ({SUPPORTED})")


def sqlite_path(url: str) -> str:
    """The file of a SQLite store URL (``:memory:`` for none)."""
    parsed, _ = engine_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise ConfigError(f"store: {url!r} is not a SQLite URL")
    return parsed.database or ":memory:"


class Database:
    """Where the store's statements run: ``await db.run(work)`` with ``work(conn)`` a function
    of a SQLAlchemy ``Connection``."""

    def __init__(self, url: URL, engine: AsyncEngine | Engine):
        self.url = url
        self.engine = engine
        self.is_postgres = url.get_backend_name() == "postgresql"
        self._thread: ThreadPoolExecutor | None = None
        self._sqlite: Connection | None = None

    @classmethod
    def connect(cls, url: str) -> Database:
        parsed, connect_args = engine_url(url)
        if parsed.get_backend_name() == "postgresql":
            from sqlalchemy.ext.asyncio import create_async_engine

            return cls(parsed, create_async_engine(parsed, connect_args=connect_args))
        path = parsed.database or ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection, made and used on the store's own thread for the process's life.
        engine = create_engine(parsed, poolclass=NullPool)
        _sqlite_rules(engine)
        db = cls(parsed, engine)
        db._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kickbot-store")
        return db

    def _async_engine(self) -> AsyncEngine:
        from sqlalchemy.ext.asyncio import AsyncEngine

        assert isinstance(self.engine, AsyncEngine)
        return self.engine

    async def run(self, work: Callable[[Connection], T], *, atomic: bool = False) -> T:
        """Run ``work`` on a connection. PostgreSQL: always one transaction. SQLite: one
        transaction holding the write lock if ``atomic``, else each statement on its own
        (enough for reads and single-statement writes, and cheaper)."""
        if self.is_postgres:
            async with self._async_engine().begin() as conn:
                return await conn.run_sync(work)
        assert self._thread is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._run_sqlite, work, atomic)

    def _run_sqlite(self, work: Callable[[Connection], T], atomic: bool) -> T:
        if self._sqlite is None:
            assert isinstance(self.engine, Engine)
            self._sqlite = self.engine.connect()
        conn = self._sqlite
        if atomic:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            result = work(conn)
        except BaseException:
            conn.rollback()
            raise
        conn.commit()  # COMMIT if atomic; otherwise only ends SQLAlchemy's notional transaction
        return result

    async def close(self) -> None:
        if self.is_postgres:
            await self._async_engine().dispose()
            return
        assert self._thread is not None
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close_sqlite)
        self._thread.shutdown(wait=False)

    def _close_sqlite(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        assert isinstance(self.engine, Engine)
        self.engine.dispose()


def advisory_lock(conn: Connection, name: str) -> None:
    """PostgreSQL: hold a lock named ``name`` until the transaction ends (instances that ask
    for the same name wait their turn). SQLite: nothing (atomic units hold the write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_LOCK_CLASS, lock_key(name))))


def lock_key(name: str) -> int:
    """A stable signed 32-bit key for a lock name."""
    value = zlib.crc32(name.encode("utf-8"))
    return value - 2**32 if value >= 2**31 else value


def insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ``ON CONFLICT`` in the connection's dialect."""
    return insert_for(conn.dialect.name, table)


def insert_for(dialect: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    return sqlite.insert(table)


def _sqlite_rules(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling off: the store says BEGIN IMMEDIATE itself.
        dbapi_connection.isolation_level = None
        dbapi_connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")  # before WAL: it
        dbapi_connection.execute("PRAGMA journal_mode=WAL")  # may have to wait for the lock
