"""A kick's request is made only once the journal has recorded it as begun."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.testing.slack.workspace import SlackWorkspace
from tests.slack.conftest import ALICE, BOB, DESK, Channel, kicks
from tests.stores import recorded


async def test_the_kick_leaves_only_once_its_start_is_journalled(
    slack: SlackWorkspace, desk_http: Channel, tmp_path: Path
) -> None:
    store = sqlite3.connect(tmp_path / "kickbot.db", isolation_level=None)
    try:
        held = slack.hold_next("conversations.info")
        fields = slack.slash_command(ALICE, DESK, "@bob")
        acked = asyncio.create_task(desk_http.bot.transport.slash(fields))
        await recorded(store)
        store.execute("BEGIN IMMEDIATE")  # the journal's "started" write must wait for this lock
        held.set()
        await asyncio.sleep(0.5)  # ample time for a request that did not wait to arrive
        assert kicks(slack) == []
        store.execute("ROLLBACK")
        reply = await slack.next_message(DESK, timeout=20.0)
        ack = await acked
    finally:
        store.close()
    assert ack.ok, ack
    assert "Removed @Bob Member." in reply.plain
    assert kicks(slack) == [{"channel": DESK, "user": BOB}]
    assert BOB not in desk_http.members
