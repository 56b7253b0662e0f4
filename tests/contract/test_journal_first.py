"""A change's request is made only once the journal has recorded it as begun, and a start that
cannot be recorded sends nothing: the same on every platform (see ``test_contract.py``)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contract.worlds import Reply, World
from tests.stores import recorded


@pytest.fixture
def store(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection to the bot's store, as a second process's."""
    conn = sqlite3.connect(tmp_path / "kickbot.db", isolation_level=None)
    yield conn
    conn.close()


async def kick_recorded(world: World, store: sqlite3.Connection) -> tuple[asyncio.Event, Reply]:
    """Alice's kick of Bob, recorded, its room's look-up held (set the event to let it go)."""
    if world.post is None or world.knobs is None or world.knobs.hold_lookup is None:
        pytest.skip(f"{world}: no way to hold a command before it acts")
    held = world.knobs.hold_lookup()
    reply = await world.post("alice", world.line("kick", "bob"))
    await recorded(store)
    return held, reply


async def test_the_kick_leaves_only_once_its_start_is_journalled(
    world: World, store: sqlite3.Connection
) -> None:
    held, reply = await kick_recorded(world, store)
    store.execute("BEGIN IMMEDIATE")  # the journal's "started" write must wait for this lock
    held.set()
    await asyncio.sleep(0.5)  # ample time for a request that did not wait to arrive
    assert world.changes() == []
    store.execute("ROLLBACK")
    assert f"Removed {world.shown['bob']}." in await reply()
    assert world.changes() == ["remove bob"]
    assert "bob" not in world.members()


async def test_a_start_that_cannot_be_journalled_sends_nothing(
    world: World, store: sqlite3.Connection
) -> None:
    held, reply = await kick_recorded(world, store)
    store.execute("DROP TABLE results")  # the journal cannot write; the command's row stays
    held.set()
    assert "Something went wrong inside kickbot" in await reply()
    assert world.changes() == []
    assert "bob" in world.members()
