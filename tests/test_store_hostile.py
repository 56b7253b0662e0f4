"""Text the databases cannot hold is stored in a safe form (never a failed write that a platform
redelivers for ever), store files are the owner's only, and a store URL's password never shows.
"""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot import audit
from bot.errors import ConfigError, StoreError
from bot.model import Invocation, RoomRef, UserRef, Word
from bot.outcome import ItemResult, OutcomeKind, Status
from bot.reply import Untrusted, line
from bot.store import Store
from bot.store.database import parse_url
from tests.stores import opened

NUL, LONE_HIGH, LONE_LOW = "\x00", "\ud800", "\udc00"
FFFD = "\ufffd"
UNSTORABLE = f"a{NUL}b{LONE_HIGH}c{LONE_LOW}d"
STORED = f"a{FFFD}b{FFFD}c{FFFD}d"


def test_storable_replaces_nul_and_lone_surrogates_and_joins_pairs() -> None:
    from bot.store.database import storable

    assert storable(UNSTORABLE) == STORED
    assert storable("\ud83d\ude00") == "\U0001f600"  # a pair split in two: the character
    assert storable("plain – ünïcödé 😀") == "plain – ünïcödé 😀"
    assert storable(STORED) == STORED  # idempotent
    STORED.encode("utf-8")  # encodable


async def test_unstorable_text_is_recorded_safely_in_every_column(store_url: str) -> None:
    async with opened(store_url) as store:
        caller = UserRef("U1" + NUL, "Eve" + UNSTORABLE, "eve@example.com")
        tokens = (Word("/kick"), Word("@bob"), Word("because" + UNSTORABLE))
        inv = Invocation("slack", "Ev" + NUL, RoomRef("C1" + LONE_HIGH), caller, tokens)
        case = await store.record(inv, "kick")
        assert case is not None
        assert await store.record(inv, "kick") is None  # a redelivery is still recognised
        job = await store.claim("slack", "C1" + LONE_HIGH, "me", 60)
        assert job is not None
        assert job.id == case
        assert job.invocation.text == inv.text  # the job itself runs on what was typed
        await store.note_reason(case, "because" + UNSTORABLE)
        bob = UserRef("U2", "Bob" + UNSTORABLE)
        journal = store.journal(case, job.settled)
        await journal.start(bob)
        said = line("Removed @Bob — reason: ", Untrusted("because" + UNSTORABLE))
        await journal.record(ItemResult(bob, Status.DONE, said, platform_response=UNSTORABLE))
        await store.finish(case, OutcomeKind.REPORT, "Removed @Bob — reason: because" + UNSTORABLE)

        (row,) = await store.audit()
        assert row.caller == "Eve" + STORED
        assert row.reason == "because" + STORED
        assert row.text.endswith("because" + STORED)
        assert row.room == "C1" + FFFD
        (result,) = row.results
        assert result["target"] == "Bob" + STORED
        assert result["platform_response"] == STORED
        assert result["detail"].endswith("because" + STORED)  # kept exact as JSON, shown safe
        found = await store.audit(user="Eve" + UNSTORABLE)  # by what was typed
        assert found[0].case == case
        # The case and its result, hashed as stored: the chain verifies and matches the tables.
        checked = await audit.examine(store.database, None)
        assert checked.intact, checked.first_problem
        assert (checked.checked, checked.cases, checked.results) == (2, 1, 1)


# --- files ----------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


FILES = ("kickbot.db", "kickbot.db-shm", "kickbot.db-wal")
"""A SQLite store and its WAL and shared-memory files."""


async def modes_while_open(path: Path) -> dict[str, int]:
    """Open the store at ``path`` as kickbot does and record a command: the modes of the files
    beside it, as they are before it is closed."""
    async with opened(f"sqlite:///{path}") as store:
        inv = Invocation("slack", "e1", RoomRef("C1"), UserRef("U1", "Eve"), (Word("/help"),))
        await store.record(inv, "help", lane="control")
        return {p.name: mode(p) for p in path.parent.iterdir()}


def test_a_new_sqlite_store_and_its_wal_and_shm_are_the_owners_only(tmp_path: Path) -> None:
    was = os.umask(0o022)  # the usual umask: SQLite alone would make the files 0644
    tmp_path.chmod(0o755)
    try:
        seen = asyncio.run(modes_while_open(tmp_path / "state" / "kickbot.db"))
    finally:
        os.umask(was)
    assert seen == dict.fromkeys(FILES, 0o600)
    assert mode(tmp_path) == 0o755  # the directory is left as it was


def test_an_existing_store_made_readable_to_all_is_closed_to_others(tmp_path: Path) -> None:
    path = tmp_path / "kickbot.db"
    # A store made by an earlier release (SQLite's own 0644), its WAL left by a crash.
    made = subprocess.run(
        [sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
         " c.execute('PRAGMA journal_mode=WAL'); c.execute('CREATE TABLE t (x)');"
         " c.execute('INSERT INTO t VALUES (1)'); import os; os._exit(0)", str(path)],
        check=True,
    )  # fmt: skip
    assert made.returncode == 0
    for name in FILES:
        (tmp_path / name).chmod(0o644)
    assert (tmp_path / "kickbot.db-wal").exists()
    assert asyncio.run(modes_while_open(path)) == dict.fromkeys(FILES, 0o600)
    assert mode(path) == 0o600  # and after kickbot closed it


# --- secrets in messages --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://kick:s3cret-pw@127.0.0.1:1/db",
        "postgresql://kick@127.0.0.1:1/db?password=s3cret-pw",
        "postgresql://kick@127.0.0.1:1/db?sslmode=disable&password=s3cret-pw&connect_timeout=2",
        "postgresql+psycopg://kick@127.0.0.1:1/db?PASSWORD=s3cret-pw&search_path=k",
        "postgresql://kick@127.0.0.1:1/db?sslpassword=s3cret-pw",
    ],
)
async def test_a_password_in_the_store_url_never_shows(url: str) -> None:
    shown = parse_url(url).shown
    assert "s3cret-pw" not in shown
    assert "***" in shown
    with pytest.raises(StoreError) as failed:  # nothing listens on port 1
        await Store.open(url)
    said = str(failed.value)
    assert "s3cret-pw" not in said
    assert said.startswith(f"cannot open the store at {shown}: ")  # the rest of it intact
    with pytest.raises(ConfigError) as refused:
        parse_url(url.replace("://", "//", 1))  # a typo: not a URL at all
    assert "s3cret-pw" not in str(refused.value)


def test_masking_keeps_the_rest_of_the_url() -> None:
    from bot.store.database import mask_secrets

    assert (
        mask_secrets("postgresql://kick@db/k?sslmode=require&password=pw&search_path=k")
        == "postgresql://kick@db/k?sslmode=require&password=***&search_path=k"
    )
    assert mask_secrets("postgresql://kick:pw@db/k") == "postgresql://kick:***@db/k"
    assert mask_secrets("host=db password='p w' user=kick") == "host=db password=*** user=kick"
    assert parse_url("sqlite:///var/kickbot.db").shown == "sqlite:///var/kickbot.db"
    with pytest.raises(ConfigError) as refused:
        parse_url("sqlite:///var/kickbot.db?password=pw")
    assert "password=***" in str(refused.value)
