"""A removal's request is made only once the journal has recorded it as begun, and a start
that cannot be recorded sends nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import ALICE, BOB, DESK, Room, path
from tests.stores import recorded


@pytest.fixture
def store(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection to the bot's store, as a second process's."""
    conn = sqlite3.connect(tmp_path / "kickbot.db", isolation_level=None)
    yield conn
    conn.close()


async def kick_recorded(chime: ChimeDouble, desk: Room, store: sqlite3.Connection) -> asyncio.Event:
    """Alice's /kick of Bob, recorded, its room's lookup held (set the event to let it go)."""
    held = chime.hold_next("GetRoom")
    await desk.send(ALICE, "/kick @bob@example.com")
    await chime.wait_for_calls("GetRoom")
    await recorded(store)
    return held


async def test_the_removal_leaves_only_once_its_start_is_journalled(
    chime: ChimeDouble, desk: Room, store: sqlite3.Connection
) -> None:
    held = await kick_recorded(chime, desk, store)
    store.execute("BEGIN IMMEDIATE")  # the journal's "started" write must wait for this lock
    held.set()
    await asyncio.sleep(0.5)  # ample time for a request that did not wait to arrive
    assert chime.state_changes() == []
    assert store.execute("SELECT count(*) FROM results").fetchone()[0] == 0
    store.execute("ROLLBACK")
    reply = await chime.next_message(DESK, timeout=20.0)
    assert "Removed @bob@example.com." in reply.text
    assert chime.state_changes() == [f"DELETE {path(DESK, BOB)}"]
    assert BOB not in desk.roles


async def test_a_start_that_cannot_be_journalled_sends_nothing(
    chime: ChimeDouble, desk: Room, store: sqlite3.Connection
) -> None:
    held = await kick_recorded(chime, desk, store)
    store.execute("DROP TABLE results")  # the journal cannot write; the command's row stays
    held.set()
    reply = await chime.next_message(DESK, timeout=20.0)
    assert "Something went wrong inside kickbot" in reply.text, reply.text
    assert chime.state_changes() == []
    assert BOB in desk.roles
