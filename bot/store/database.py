"""The connection to the store's database: SQLite (embedded, one host) or PostgreSQL (shared by
several instances), through each one's own driver (the standard library's ``sqlite3``;
``psycopg`` for PostgreSQL), with one SQL for both.

The store runs no SQLAlchemy: loaded, it is about 11.5 MiB of a host's memory, more than the rest
of kickbot's code, for statements that are the same SQL on both databases (``INSERT … ON
CONFLICT``, ``UPDATE … RETURNING``). SQLAlchemy and Alembic still make and upgrade the schema
(``bot/store/migrate.py``), loaded only when a store needs upgrading.

Every use of the database is a plain function of a ``Connection`` handed to ``Database.run``,
which runs it as one unit on a thread of the store's:

- PostgreSQL: in a transaction, on a connection of its own (kept for the next unit once done);
  concurrency is row locks and advisory locks (see ``advisory_lock``).
- SQLite: on the process's one connection, which lives on one thread of its own; the whole
  function runs there in one hop from the event loop. WAL (so several processes on one host
  can share the file), a 5 s busy timeout, one writer: an ``atomic`` unit takes the write lock
  when it begins (``BEGIN IMMEDIATE``), so it never fails half-way because another process
  wrote in between; other units autocommit each statement.

Statements name their parameters ``:name`` (sqlite3's style; turned into psycopg's
``%(name)s`` for PostgreSQL by ``Connection``).

A hiccup of the database is not a failure: once the store has answered, a unit that meets a
transient error (SQLite locked or busy beyond the busy timeout, e.g. another process holding the
write lock; PostgreSQL's connection lost, the server shutting down or restarting, a serialization
failure or deadlock) is run again from its start, with exponential backoff, for up to
``retry_seconds`` (tenacity). A unit is a function of its connection run in one transaction
(PostgreSQL) or holding the write lock (SQLite, atomic), so running it again is safe; a lost
connection is dropped with the idle ones beside it (a restarted server dropped them all).

Beside it: ``url`` (reading and showing a store URL), ``connection`` (a unit's ``Connection``
and the locking clauses), ``sqlite_file`` (opening the SQLite file, its mode) and ``storable``
(text as a column can hold it).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from bot import telemetry
from bot.store.connection import (
    ADVISORY_LOCK,
    Connection,
    Row,
    advisory_lock,
    for_update,
    in_list,
    lock_params,
)
from bot.store.sqlite_file import BUSY_TIMEOUT_MS, open_sqlite, owner_only
from bot.store.storable import storable, storable_json
from bot.store.url import StoreURL, mask_secrets, parse_url

__all__ = [  # also what the rest of kickbot runs its SQL with, from the modules beside this one
    "ADVISORY_LOCK",
    "BUSY_TIMEOUT_MS",
    "Connection",
    "Database",
    "Row",
    "StoreURL",
    "advisory_lock",
    "for_update",
    "in_list",
    "lock_params",
    "mask_secrets",
    "parse_url",
    "storable",
    "storable_json",
]

log = structlog.get_logger(__name__)

T = TypeVar("T")

RETRY_SECONDS = 120.0
"""How long a unit is tried again while the database is briefly unavailable (then its error
is raised). Each SQLite attempt also waits up to ``BUSY_TIMEOUT_MS`` for the lock."""
RETRY_FIRST_WAIT = 0.05
RETRY_LONGEST_WAIT = 2.0
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_PG_TRANSIENT_CLASSES = ("08", "57P", "40")
"""SQLSTATE prefixes worth another try: connection exceptions, the server shutting down or not
yet accepting connections (57P01-57P03), serialization failures and deadlocks."""
POSTGRES_THREADS = 8
"""Units running at once on PostgreSQL (each on a connection of its own)."""


class Database:
    """Where the store's statements run: ``await db.run(work)`` with ``work(conn)`` a function
    of a ``Connection``."""

    def __init__(self, url: StoreURL):
        self.url = url
        self.is_postgres = url.backend == "postgresql"
        self.errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        """What the driver raises when the database fails a unit."""
        # SQLite: one connection, made and used on the store's own thread for the process's
        # life. PostgreSQL: a connection per unit running at once, kept between units.
        threads = POSTGRES_THREADS if self.is_postgres else 1
        self._thread = ThreadPoolExecutor(threads, thread_name_prefix="kickbot-store")
        self._sqlite: sqlite3.Connection | None = None
        self._idle: list[Any] = []  # PostgreSQL connections between units
        self.retry_seconds = RETRY_SECONDS
        self._answered = False
        """Whether a unit has succeeded: before that, an error is the store's configuration
        or its absence (reported at once when the store opens), not a hiccup."""

    @classmethod
    def connect(cls, url: str) -> Database:
        """A database for a store URL (connections are made when first used)."""
        db = cls(parse_url(url))
        if db.is_postgres:
            import psycopg  # only for a PostgreSQL store

            db.errors = (psycopg.Error,)
        elif db.url.path != ":memory:":
            Path(db.url.path).parent.mkdir(parents=True, exist_ok=True)
            owner_only(db.url.path)
        return db

    async def run(self, work: Callable[[Connection], T], *, atomic: bool = False) -> T:
        """Run ``work`` on a connection. PostgreSQL: always one transaction. SQLite: one
        transaction holding the write lock if ``atomic``, else each statement on its own
        (enough for reads and single-statement writes, and cheaper)."""
        return await self.submit(work, atomic=atomic)

    def submit(
        self, work: Callable[[Connection], T], *, atomic: bool = False, retry: bool = True
    ) -> asyncio.Future[T]:
        """``run``, handed to the store's thread(s) now rather than when awaited: work
        submitted one after another keeps its order on SQLite's single thread. The work runs
        to its end once handed over; cancelling the future only loses its result. Without
        ``retry`` a hiccup is raised at once (recording an event: the platform delivers it
        again, and its callback must not wait)."""
        loop = asyncio.get_running_loop()
        run: Callable[[Callable[[Connection], T]], T] = (
            self._run_postgres
            if self.is_postgres
            else functools.partial(self._run_sqlite, atomic=atomic)
        )
        unit = self._once if not retry else self._retried
        future = loop.run_in_executor(self._thread, unit, run, work)
        began = time.monotonic()

        def ended(done: asyncio.Future[T]) -> None:
            ok = not done.cancelled() and done.exception() is None
            telemetry.observer().store_unit(time.monotonic() - began, ok)

        future.add_done_callback(ended)
        return future

    def _once(
        self, run: Callable[[Callable[[Connection], T]], T], work: Callable[[Connection], T]
    ) -> T:
        result = run(work)
        self._answered = True
        return result

    def _retried(
        self, run: Callable[[Callable[[Connection], T]], T], work: Callable[[Connection], T]
    ) -> T:
        """``run(work)``, run again from its start while the database has a hiccup. The
        first try is made without tenacity: building its ``Retrying`` cost about 50 µs a
        unit, on every store call, for the rare unit that meets a hiccup."""
        try:
            return self._once(run, work)
        except Exception as exc:
            if not self._transient(exc):
                raise
            log.warning("store unavailable; trying again", attempt=1, error=str(exc))
        retrying = Retrying(
            stop=stop_after_delay(self.retry_seconds),
            wait=wait_exponential_jitter(initial=RETRY_FIRST_WAIT, max=RETRY_LONGEST_WAIT),
            retry=retry_if_exception(self._transient),
            before_sleep=_log_retry,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                result = run(work)
                self._answered = True
                return result
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def is_transient(self, exc: BaseException) -> bool:
        """Whether ``exc`` is a hiccup of a database that has answered before (worth trying
        again later), not a fault of the unit or of the store's configuration."""
        return self._transient(exc)

    def _transient(self, exc: BaseException) -> bool:
        if not self._answered:
            return False
        if isinstance(exc, sqlite3.OperationalError):
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None:
                return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
            return "locked" in str(exc) or "busy" in str(exc)
        if not self.is_postgres:
            return False
        import psycopg

        if not isinstance(exc, psycopg.OperationalError):
            return False
        state = exc.sqlstate
        # No SQLSTATE: the connection itself failed (closed, reset, not reachable).
        return state is None or state.startswith(_PG_TRANSIENT_CLASSES)

    def _run_sqlite(self, work: Callable[[Connection], T], atomic: bool) -> T:
        if self._sqlite is None:
            self._sqlite = open_sqlite(self.url.path, self.url.synchronous)
        raw = self._sqlite
        if raw.in_transaction:  # left open by a unit that failed in its COMMIT: start clean
            raw.execute("ROLLBACK")
        if not atomic:
            return work(Connection(raw, postgres=False))
        raw.execute("BEGIN IMMEDIATE")
        try:
            result = work(Connection(raw, postgres=False))
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
        return result

    def _run_postgres(self, work: Callable[[Connection], T]) -> T:
        import psycopg
        from psycopg.conninfo import make_conninfo

        try:
            raw = self._idle.pop()
        except IndexError:
            conninfo = make_conninfo(self.url.conninfo, **self.url.connect_args)
            raw = psycopg.connect(conninfo, autocommit=True)
        try:
            with raw.transaction():
                result = work(Connection(raw, postgres=True))
        finally:
            if raw.closed or raw.broken:
                raw.close()
                self._drop_idle()  # lost with it, most likely (a restart, a network cut)
            else:
                self._idle.append(raw)
        return result

    def _drop_idle(self) -> None:
        while True:
            try:
                idle = self._idle.pop()
            except IndexError:
                return
            with contextlib.suppress(Exception):
                idle.close()

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._close_connections)
        self._thread.shutdown(wait=False)

    def _close_connections(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        while self._idle:
            self._idle.pop().close()


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else None
    log.warning("store unavailable; trying again", attempt=state.attempt_number, error=str(exc),
                wait_s=wait)  # fmt: skip
