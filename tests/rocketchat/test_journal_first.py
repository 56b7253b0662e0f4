"""A kick's request is made only once the journal has recorded it as begun."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, DESK, Room, visible
from tests.stores import recorded


async def test_the_kick_leaves_only_once_its_start_is_journalled(
    server: RocketChatServer, desk: Room, tmp_path: Path
) -> None:
    store = sqlite3.connect(tmp_path / "kickbot.db", isolation_level=None)
    try:
        held = server.hold_next("rooms.info")
        delivery = await desk.post(ALICE, "!kick @bob")
        assert delivery.status == 200, delivery
        await recorded(store)
        store.execute("BEGIN IMMEDIATE")  # the journal's "started" write must wait for this lock
        held.set()
        await asyncio.sleep(0.5)  # ample time for a request that did not wait to arrive
        assert server.changing_calls() == []
        store.execute("ROLLBACK")
        reply = await server.next_message(DESK, timeout=20.0)
    finally:
        store.close()
    assert "Removed @bob." in visible(reply.msg)
    assert server.changing_calls() == [f"groups.kick {BOB}"]
    assert BOB not in desk.members
