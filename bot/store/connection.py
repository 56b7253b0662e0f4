"""One unit's connection: the same SQL (``:name`` parameters) on SQLite's and PostgreSQL's
drivers, rows as dicts; and the locking clauses that differ between the two."""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bot.store.storable import storable, storable_params

Row = dict[str, Any]

_LOCK_CLASS = 0x6B69636B  # "kick": the first key of every advisory lock kickbot takes
ADVISORY_LOCK = "SELECT pg_advisory_xact_lock(:cls, :key)"
"""PostgreSQL: hold a named lock until the transaction ends (see ``lock_params``)."""
_STREAM_BATCH = 1000


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
