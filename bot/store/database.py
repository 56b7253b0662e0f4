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
``%(name)s`` for PostgreSQL).

A hiccup of the database is not a failure: once the store has answered, a unit that meets a
transient error (SQLite locked or busy beyond the busy timeout, e.g. another process holding the
write lock; PostgreSQL's connection lost, the server shutting down or restarting, a serialization
failure or deadlock) is run again from its start, with exponential backoff, for up to
``retry_seconds`` (tenacity). A unit is a function of its connection run in one transaction
(PostgreSQL) or holding the write lock (SQLite, atomic), so running it again is safe; a lost
connection is dropped with the idle ones beside it (a restarted server dropped them all).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import sqlite3
import stat
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from bot.errors import ConfigError

log = structlog.get_logger(__name__)

T = TypeVar("T")
Row = dict[str, Any]

BUSY_TIMEOUT_MS = 5000
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
_LOCK_CLASS = 0x6B69636B  # "kick": the first key of every advisory lock kickbot takes
ADVISORY_LOCK = "SELECT pg_advisory_xact_lock(:cls, :key)"
"""PostgreSQL: hold a named lock until the transaction ends (see ``lock_params``)."""
_STREAM_BATCH = 1000

SUPPORTED = "sqlite:///PATH or postgresql://USER@HOST/DB"
_SQLITE_DRIVERS = ("", "pysqlite", "aiosqlite")
_POSTGRES_DRIVERS = ("", "psycopg", "asyncpg")  # asyncpg: the driver of earlier releases


@dataclass(frozen=True, slots=True)
class StoreURL:
    """A store's database URL, as the store uses it."""

    backend: Literal["sqlite", "postgresql"]
    path: str = ":memory:"
    """SQLite: the file."""
    synchronous: Literal["full", "normal"] = "full"
    """SQLite: ``full`` (the default) flushes each commit to disk before it returns: nothing
    committed is lost, even to a power cut. ``normal`` leaves the flush to checkpoints: a crash
    of kickbot still loses nothing, one of the machine may lose the last commits
    (``?synchronous=normal`` in the URL)."""
    conninfo: str = ""
    """PostgreSQL: the libpq URL (no driver in the scheme, no ``search_path``)."""
    search_path: str | None = None
    """PostgreSQL: the schema to use (``?search_path=kickbot`` in the URL)."""

    @property
    def shown(self) -> str:
        """For messages: the URL without its password (``user:***@``, ``password=***``)."""
        if self.backend == "sqlite":
            options = "?synchronous=normal" if self.synchronous == "normal" else ""
            return f"sqlite:///{'' if self.path == ':memory:' else self.path}{options}"
        return mask_secrets(self.conninfo)

    @property
    def sqlalchemy(self) -> str:
        """The URL for SQLAlchemy (the migrations), with the same driver."""
        if self.backend == "sqlite":
            return f"sqlite+pysqlite:///{'' if self.path == ':memory:' else self.path}"
        return "postgresql+psycopg" + self.conninfo.removeprefix("postgresql")

    @property
    def connect_args(self) -> dict[str, str]:
        """psycopg's connection arguments beside the URL."""
        return {"options": f"-c search_path={self.search_path}"} if self.search_path else {}


SECRET_PARAMETERS = frozenset({"password", "sslpassword"})
"""libpq parameters whose value is a secret, wherever a URL or conninfo names them."""
_USER_PASSWORD = re.compile(r"(//[^/?#@:\s]*):[^/?#@\s]*@")
_SECRET_PARAMETER = re.compile(
    r"(?i)(?<![\w])("
    + "|".join(sorted(SECRET_PARAMETERS))
    + r")(\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s#]*)"
)
MASK = "***"


def mask_secrets(text: str) -> str:
    """``text`` (a store URL, or a message that may quote one) with every password masked:
    ``user:pw@host`` -> ``user:***@host``, ``?password=pw`` and ``sslpassword=pw`` (URL query or
    libpq ``key=value`` conninfo) -> ``password=***``."""
    masked = _USER_PASSWORD.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    return _SECRET_PARAMETER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", masked)


def parse_url(url: str) -> StoreURL:
    """Read a store URL. A PostgreSQL URL may name the schema to use: ``?search_path=kickbot``."""
    parts = urlsplit(url)
    if not parts.scheme or "://" not in url:
        raise ConfigError(f"store: {mask_secrets(url)!r} is not a database URL ({SUPPORTED})")
    backend, _, driver = parts.scheme.partition("+")
    if backend == "sqlite" and driver in _SQLITE_DRIVERS:
        path = url.split("://", 1)[1].removeprefix("/").split("?", 1)[0] or ":memory:"
        query = dict(parse_qsl(parts.query))
        synchronous = query.pop("synchronous", "full").lower()
        if query or synchronous not in ("full", "normal"):
            raise ConfigError(
                f"store: {mask_secrets(url)!r}: a SQLite store takes one option,"
                " synchronous=full (the default) or synchronous=normal"
            )
        return StoreURL(
            "sqlite", path=path, synchronous=cast(Literal["full", "normal"], synchronous)
        )
    if backend in ("postgresql", "postgres") and driver in _POSTGRES_DRIVERS:
        query = dict(parse_qsl(parts.query))
        search_path = query.pop("search_path", None)
        conninfo = urlunsplit(parts._replace(scheme="postgresql", query=urlencode(query)))
        return StoreURL("postgresql", conninfo=conninfo, search_path=search_path)
    raise ConfigError(f"store: unsupported database URL {parts.scheme}:// ({SUPPORTED})")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` as every text column can hold it: a NUL (which PostgreSQL refuses in text)
    and a surrogate code point (which UTF-8 cannot encode: a lone ``\\ud800`` from JSON) each
    become U+FFFD, the replacement character; a surrogate pair becomes the character it
    encodes. Anything else is kept as it is."""
    if _UNSTORABLE.search(text) is None:
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.replace("\x00", REPLACEMENT)


def storable_json(value: Any) -> Any:
    """A JSON-able value with every string in it (keys too) made ``storable``: what a JSON
    column such as the audit trail's payload holds, so that read back it equals the text
    columns it repeats (``json.dumps`` would keep a NUL as the escape ``\\u0000``)."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable_json(k): storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value


def storable_params(params: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Statement parameters with every text made ``storable``: the store's one boundary, so
    text that cannot be stored (typed in a command, a display name, a platform's answer)
    never fails a write (and a redelivery never meets the same failure again)."""
    if not params:
        return {}
    if not any(isinstance(v, str) and _UNSTORABLE.search(v) for v in params.values()):
        return params
    return {k: storable(v) if isinstance(v, str) else v for k, v in params.items()}


@functools.lru_cache(maxsize=512)
def _postgres_sql(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (a literal ``%`` doubled)."""
    return re.sub(
        r"%|(?<![:\w]):(\w+)",
        lambda m: "%%" if m.group(0) == "%" else f"%({m.group(1)})s",
        sql,
    )


class Connection:
    """One unit's connection: SQL with ``:name`` parameters; rows as dicts."""

    def __init__(self, raw: Any, *, postgres: bool):
        self.raw = raw
        self.is_postgres = postgres

    def _cursor(self, sql: str, params: Mapping[str, Any] | None) -> Any:
        if self.is_postgres:
            return self.raw.execute(_postgres_sql(sql), storable_params(params))
        return self.raw.execute(sql, storable_params(params))

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement; the rows it changed."""
        return int(self._cursor(sql, params).rowcount)

    def execute_many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        rows = [storable_params(row) for row in rows]
        if self.is_postgres:
            with self.raw.cursor() as cursor:
                cursor.executemany(_postgres_sql(sql), rows)
        else:
            self.raw.executemany(sql, rows)

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        cursor = self._cursor(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def row(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        cursor = self._cursor(sql, params)
        values = cursor.fetchone()
        if values is None:
            return None
        return dict(zip([d[0] for d in cursor.description], values, strict=True))

    def value(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row (None: no row)."""
        values = self._cursor(sql, params).fetchone()
        return None if values is None else values[0]

    def values(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The first column of every row."""
        return [values[0] for values in self._cursor(sql, params).fetchall()]

    def stream(
        self, sql: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """Rows (as tuples) read a batch at a time, for walking a whole table."""
        if not self.is_postgres:
            yield from self.raw.execute(sql, storable_params(params))
            return
        with self.raw.cursor(name="kickbot_stream") as cursor:
            cursor.itersize = _STREAM_BATCH
            cursor.execute(_postgres_sql(sql), storable_params(params))
            yield from cursor


def in_list(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """``(:name0, :name1, …)`` and its parameters, for ``… IN`` a list of values."""
    params = {f"{name}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(f":{key}" for key in params) + ")", params


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
        if not retry:
            return loop.run_in_executor(self._thread, self._once, run, work)
        return loop.run_in_executor(self._thread, self._retried, run, work)

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
            self._sqlite = _open_sqlite(self.url.path, self.url.synchronous)
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


def _open_sqlite(path: str, synchronous: Literal["full", "normal"]) -> sqlite3.Connection:
    # The driver's own transaction handling off: the store says BEGIN IMMEDIATE itself.
    raw = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    _switch_to_wal(raw)
    raw.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'normal' else 'FULL'}")
    return raw


SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database (it gives them the database file's mode)."""


def owner_only(path: str) -> None:
    """Make the SQLite store at ``path`` readable and writable by its owner only (0600): a new
    file is created so, before SQLite opens it (SQLite then creates its ``-wal`` and ``-shm``
    files with the same mode); an existing file of this user, and companions already there,
    lose any group and other bits. The directory is left as it is."""
    if path.startswith("file:"):
        return  # a URI filename: SQLite's own to resolve
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for name in (path, *(path + suffix for suffix in SQLITE_COMPANIONS)):
        try:
            found = os.stat(name)
        except FileNotFoundError:
            continue
        mode = stat.S_IMODE(found.st_mode)
        if mode & 0o077 and found.st_uid == os.geteuid():  # another owner's file is theirs
            os.chmod(name, mode & 0o700)


def _switch_to_wal(raw: sqlite3.Connection) -> None:
    """WAL is a property of the file, kept once set. Setting it takes the file's exclusive lock,
    for which SQLite does not apply the busy timeout: processes opening a new file at once
    would fail ("database is locked"), so the switch waits for the lock itself, as long."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while raw.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            raw.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def advisory_lock(conn: Connection, name: str) -> None:
    """PostgreSQL: hold a lock named ``name`` until the transaction ends (instances that ask
    for the same name wait their turn). SQLite: nothing (atomic units hold the write lock)."""
    if conn.is_postgres:
        conn.execute(ADVISORY_LOCK, lock_params(name))


def lock_params(name: str) -> dict[str, int]:
    """``ADVISORY_LOCK``'s parameters for a lock name: kickbot's class and a stable signed
    32-bit key."""
    value = zlib.crc32(storable(name).encode("utf-8"))  # a room id may hold anything
    return {"cls": _LOCK_CLASS, "key": value - 2**32 if value >= 2**31 else value}


def for_update(conn: Connection, of: str | None = None, *, skip_locked: bool = False) -> str:
    """PostgreSQL's row-locking clause (SQLite: none; its writers take the whole file)."""
    if not conn.is_postgres:
        return ""
    return " FOR UPDATE" + (f" OF {of}" if of else "") + (" SKIP LOCKED" if skip_locked else "")
