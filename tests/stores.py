"""Databases for store tests: a SQLite file, or a fresh PostgreSQL schema per test.

PostgreSQL tests run when ``KICKBOT_TEST_DATABASE_URL`` names a database
(``postgresql://postgres@127.0.0.1:5432/test``) and are skipped, saying why, when it is unset.
Each gets its own schema (the store URL carries ``?search_path=…``), dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from bot.store import Store
from bot.store.database import parse_url

POSTGRES_ENV = "KICKBOT_TEST_DATABASE_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_base() -> str:
    """The PostgreSQL URL to test against; skips the test when there is none."""
    base = os.environ.get(POSTGRES_ENV, "")
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    return base


@contextlib.asynccontextmanager
async def postgres_schema(base: str) -> AsyncIterator[str]:
    """A store URL on a new, empty schema of ``base``'s database; the schema is dropped after."""
    name = f"kickbot_test_{uuid.uuid4().hex[:12]}"
    conninfo = parse_url(base).conninfo
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        await conn.execute(f'CREATE SCHEMA "{name}"')
        try:
            yield f"{conninfo}{'&' if '?' in conninfo else '?'}search_path={name}"
        finally:
            await conn.execute(f'DROP SCHEMA "{name}" CASCADE')


@contextlib.asynccontextmanager
async def store_url_for(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/kickbot.db"
        return
    async with postgres_schema(postgres_base()) as url:
        yield url


@contextlib.asynccontextmanager
async def opened(url: str) -> AsyncIterator[Store]:
    """The store at ``url``, opened as kickbot opens it; closed when done."""
    store = await Store.open(url)
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def two_open(url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database, as two kickbot instances share it."""
    async with opened(url) as first, opened(url) as second:
        yield first, second


async def recorded(store: sqlite3.Connection, count: int = 1) -> None:
    """Wait until the bot's SQLite store (seen through another connection) holds ``count``
    commands."""
    for _ in range(500):
        if store.execute("SELECT count(*) FROM commands").fetchone()[0] >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the command was never recorded")


async def closed(store: sqlite3.Connection, case: int) -> None:
    """Wait until the bot has closed ``case`` (its results are written with the close)."""
    for _ in range(500):
        found = store.execute("SELECT state FROM commands WHERE id = ?", (case,)).fetchone()
        if found is not None and found[0] == "done":
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"case {case} was never closed")
