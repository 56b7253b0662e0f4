"""The store's schema comes from its migrations: fresh databases, files made by the ad-hoc DDL of
earlier releases, instances starting at once, and the URLs the store accepts."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot import audit
from bot.errors import ConfigError, StoreError
from bot.model import Invocation, RoomRef, UserRef, Word
from bot.outcome import OutcomeKind
from bot.store import Store
from bot.store import migrate as migrations
from bot.store.database import Database, StoreURL, parse_url
from bot.store.schema import metadata

# What releases before the migrations created (and kept creating on every start).
LEGACY_DDL = """
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    event_id TEXT NOT NULL,
    room TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    caller_label TEXT NOT NULL,
    command TEXT NOT NULL,
    text TEXT NOT NULL,
    reason TEXT,
    undoes INTEGER,
    invocation TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    outcome TEXT,
    reply TEXT,
    claimed_by TEXT,
    lease_until REAL,
    received_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (platform, event_id)
);
CREATE INDEX IF NOT EXISTS commands_pending ON commands (state, platform, room);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id INTEGER NOT NULL REFERENCES commands (id),
    target_id TEXT NOT NULL,
    target_label TEXT NOT NULL,
    status TEXT NOT NULL,
    line TEXT NOT NULL,
    platform_response TEXT,
    undo TEXT,
    at TEXT NOT NULL,
    UNIQUE (command_id, target_id)
);
CREATE TABLE IF NOT EXISTS confirmations (
    case_id INTEGER PRIMARY KEY REFERENCES commands (id),
    targets INTEGER NOT NULL,
    estimate_seconds REAL NOT NULL,
    expires_at REAL NOT NULL,
    confirmed_by INTEGER,
    confirmed_at TEXT
);
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    case_id INTEGER NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    through_seq INTEGER PRIMARY KEY,
    through_hash TEXT NOT NULL,
    pruned INTEGER NOT NULL,
    at TEXT NOT NULL,
    signature TEXT NOT NULL
);
"""
# The columns the last ad-hoc release added on start.
LEGACY_JOB_STATE = """
ALTER TABLE commands ADD COLUMN lane TEXT NOT NULL DEFAULT 'change';
ALTER TABLE commands ADD COLUMN not_before REAL;
ALTER TABLE commands ADD COLUMN cancel_requested_by INTEGER;
ALTER TABLE commands ADD COLUMN total INTEGER;
"""


def invocation(event: str) -> Invocation:
    return Invocation(
        "symphony", event, RoomRef("room1"), UserRef("1", "Alice"), (Word("/kick"), Word("x"))
    )


def schema_differences(url: StoreURL) -> list[object]:
    with migrations.sqlalchemy_connection(url) as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


async def inspect_store(url: str) -> tuple[str | None, list[object]]:
    """(the database's revision, how its tables differ from the code's)."""
    db = Database.connect(url)
    try:
        revision = await db.run(migrations.current)
    finally:
        await db.close()
    return revision, await asyncio.to_thread(schema_differences, parse_url(url))


async def test_a_new_store_is_migrated_to_the_code_schema(store_url: str) -> None:
    store = await Store.open(store_url)
    await store.close()
    assert migrations.head() == migrations.AUDIT_SINKS == migrations.HEAD
    assert await inspect_store(store_url) == (migrations.head(), [])


async def test_reopening_a_store_keeps_its_data(store_url: str) -> None:
    store = await Store.open(store_url)
    case = await store.record(invocation("m1"), "kick")
    await store.finish(case or 0, OutcomeKind.REPORT, "done")
    await store.close()
    store = await Store.open(store_url)
    try:
        assert [r.case for r in await store.audit()] == [case]
        assert await store.record(invocation("m1"), "kick") is None  # still known
    finally:
        await store.close()


async def test_instances_starting_at_once_migrate_once(store_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(store_url) for _ in range(4)))
    for store in stores:
        await store.close()
    assert await inspect_store(store_url) == (migrations.head(), [])


def make_legacy_file(path: Path, *, job_state: bool) -> None:
    """A file as an earlier release left it: one closed case in the audit chain."""
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY_DDL + (LEGACY_JOB_STATE if job_state else ""))
        db.execute(
            "INSERT INTO commands (platform, event_id, room, caller_id, caller_label, command,"
            " text, invocation, state, outcome, received_at) VALUES ('symphony', 'old', 'room1',"
            " '1', 'Alice', 'kick', '/kick x', '{}', 'done', 'report', '2026-11-01T00:00:00')"
        )
        case = {
            "platform": "symphony", "room": "room1", "caller": "Alice", "caller_id": "1",
            "command": "kick", "text": "/kick x", "reason": None, "outcome": "report",
            "received_at": "2026-11-01T00:00:00", "finished_at": None, "reply": None,
        }  # fmt: skip
        payload = json.dumps(case, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        at = "2026-11-01T00:00:01"
        digest = audit.record_hash(audit.GENESIS, 1, at, "case", 1, payload)
        db.execute(
            "INSERT INTO audit_log (seq, at, kind, case_id, payload, prev_hash, hash)"
            " VALUES (1, ?, 'case', 1, ?, ?, ?)",
            (at, payload, audit.GENESIS, digest),
        )
    db.close()


@pytest.mark.parametrize("job_state", [False, True], ids=["first-release", "job-state"])
async def test_a_file_made_by_an_earlier_release_is_adopted(
    tmp_path: Path, job_state: bool
) -> None:
    path = tmp_path / "old.db"
    make_legacy_file(path, job_state=job_state)
    url = f"sqlite:///{path}"
    store = await Store.open(url)
    try:
        (old,) = await store.audit()
        assert (old.case, old.outcome) == (1, "report")
        case = await store.record(invocation("new"), "kick", lane="control")
        assert case == 2
        job = await store.claim("symphony", "room1", "me", 60, lane="control")
        assert job is not None
        assert job.id == 2
        await store.finish(2, OutcomeKind.REPORT, "done")
        # the earlier release's plain link and the new one both verify
        assert await audit.verify(store.database, None) == (2, None)
    finally:
        await store.close()
    revision, differences = await inspect_store(url)
    assert revision == migrations.head()
    assert [d for d in differences if not _cosmetic(d)] == []


def _cosmetic(difference: object) -> bool:
    """Differences that change nothing in SQLite: the legacy DDL said REAL where the migrations
    say FLOAT (both REAL affinity), and SQLite reports INTEGER PRIMARY KEY columns nullable."""
    changes: list[Any] = difference if isinstance(difference, list) else [difference]
    for change in changes:
        kind, table, column = change[0], change[2], change[3]
        if kind == "modify_type" and type(change[5]).__name__ == "REAL":
            continue
        if kind == "modify_nullable" and metadata.tables[table].c[column].primary_key:
            continue
        return False
    return True


async def test_a_legacy_file_is_stamped_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_legacy_file(path, job_state=False)
    db = Database.connect(f"sqlite:///{path}")
    try:
        assert await db.run(migrations.current) is None
        await migrations.upgrade_database(db)
        assert await db.run(migrations.current) == migrations.head()
        columns = await db.run(
            lambda c: {col["name"] for col in c.rows("PRAGMA table_info(commands)")}
        )
    finally:
        await db.close()
    assert {"lane", "not_before", "cancel_requested_by", "total"} <= columns


async def test_a_sqlite_store_flushes_each_commit_unless_told_not_to(tmp_path: Path) -> None:
    for options, level in (("", 2), ("?synchronous=normal", 1)):  # FULL, NORMAL
        db = Database.connect(f"sqlite:///{tmp_path}/store{len(options)}.db{options}")
        try:
            assert await db.run(lambda c: c.value("PRAGMA synchronous")) == level
        finally:
            await db.close()


def test_store_urls() -> None:
    for given in ("sqlite:///kickbot.db", "sqlite+aiosqlite:///kickbot.db"):
        assert parse_url(given) == StoreURL("sqlite", path="kickbot.db")
        assert parse_url(given).sqlalchemy == "sqlite+pysqlite:///kickbot.db"
    assert parse_url("sqlite:////var/lib/kickbot.db").path == "/var/lib/kickbot.db"
    assert parse_url("sqlite:///").path == ":memory:"
    assert parse_url("sqlite:///kb.db").synchronous == "full"
    relaxed = parse_url("sqlite:///kb.db?synchronous=normal")
    assert (relaxed.path, relaxed.synchronous) == ("kb.db", "normal")
    assert relaxed.shown == "sqlite:///kb.db?synchronous=normal"
    for wrong in ("sqlite:///kb.db?synchronous=off", "sqlite:///kb.db?cache=shared"):
        with pytest.raises(ConfigError, match=r"synchronous=full .* or synchronous=normal"):
            parse_url(wrong)
    for given in (
        "postgresql://u@db/kb",
        "postgresql+psycopg://u@db/kb",
        "postgresql+asyncpg://u@db/kb",  # earlier releases' driver: the same database
        "postgres://u@db/kb",
    ):
        url = parse_url(given)
        assert (url.backend, url.conninfo, url.connect_args) == (
            "postgresql",
            "postgresql://u@db/kb",
            {},
        )
        assert url.sqlalchemy == "postgresql+psycopg://u@db/kb"
    url = parse_url("postgresql://u:secret@db:5433/kb?search_path=kickbot&sslmode=require")
    assert url.conninfo == "postgresql://u:secret@db:5433/kb?sslmode=require"
    assert url.connect_args == {"options": "-c search_path=kickbot"}
    assert url.shown == "postgresql://u:***@db:5433/kb?sslmode=require"
    with pytest.raises(ConfigError, match=r"unsupported database URL mysql\+pymysql://"):
        parse_url("mysql+pymysql://u@db/kb")
    with pytest.raises(ConfigError, match="is not a database URL"):
        parse_url("kickbot.db")


async def test_an_unreachable_database_is_a_store_error_without_its_password() -> None:
    with pytest.raises(StoreError, match="cannot open the store at") as raised:
        await Store.open("postgresql://kickbot:hunter2@127.0.0.1:1/kickbot")
    assert "hunter2" not in str(raised.value)


async def test_an_impossible_sqlite_path_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="cannot open the store at"):
        await Store.open(f"sqlite:///{tmp_path}/file/kickbot.db")  # under a file


async def test_a_store_in_memory_is_refused_at_once() -> None:
    """A database in memory would be lost with the process, and the schema would be made on
    another connection than the store's: it is refused, not left starting for ever."""
    for url in ("sqlite:///:memory:", "sqlite:///"):
        with pytest.raises(StoreError, match="is a database in memory"):
            await asyncio.wait_for(Store.open(url), 10)


def test_a_database_that_cannot_have_wal_is_an_error_not_a_wait() -> None:
    from bot.store.sqlite_file import open_sqlite

    with pytest.raises(sqlite3.OperationalError, match="cannot use WAL"):
        open_sqlite(":memory:", "full")


def test_opening_an_up_to_date_store_does_not_load_sqlalchemy(tmp_path: Path) -> None:
    """SQLAlchemy, Alembic and PostgreSQL's driver cost memory and start-up time: an SQLite
    store that is already at the newest revision (the usual start) loads none of them."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/k.db"
    script = (
        "import asyncio, sys\n"
        "from bot.store import Store\n"
        "async def main():\n"
        f"    store = await Store.open({url!r})\n"
        "    await store.close()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in ('alembic', 'sqlalchemy', 'psycopg')"
        " if m in sys.modules))\n"
    )
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "alembic" in first.stdout  # a new file is migrated
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "[]"


async def test_the_alembic_command_line_upgrades_a_store_by_url(store_url: str) -> None:
    """``alembic -x url=…`` (bot/migrations/env.py) takes the same lock and path as a start."""
    import subprocess
    import sys

    ini = migrations.MIGRATIONS / "alembic.ini"
    command = [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={store_url}"]
    done = await asyncio.to_thread(
        subprocess.run, [*command, "upgrade", "head"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert await inspect_store(store_url) == (migrations.head(), [])
