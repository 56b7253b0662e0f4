"""A command's first lookups (the room, its member list): made side by side, and only after the
static policy has let the caller through."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DAVE, DESK, ConfigMaker, Room, changes, running, start_bot

ROOM_INFO = r"/pod/v3/room/[^/]+/info$"
MEMBER_LIST = r"/pod/v2/room/[^/]+/membership/list$"


async def test_the_room_and_its_member_list_are_looked_up_side_by_side(
    pod: SymphonyPod, desk: Room
) -> None:
    held = pod.hold_next("GET", ROOM_INFO)
    pod.say(ALICE, desk.id, "/kick @bob")
    # The member list is asked for while the room's info is still unanswered.
    await pod.wait_for_calls("GET", ROOM_INFO)
    await pod.wait_for_calls("GET", MEMBER_LIST)
    assert changes(pod) == []  # nothing changes before the room is known to be active
    held.set()
    reply = await pod.next_message(desk.id, timeout=20.0)
    assert "Removed @Bob Member." in reply.text
    assert len(pod.calls("GET", ROOM_INFO)) == 1
    assert len(pod.calls("GET", MEMBER_LIST)) == 1


async def test_a_deactivated_room_is_refused_without_waiting_for_its_member_list(
    pod: SymphonyPod, desk: Room
) -> None:
    pod.deactivate_room(desk.id)
    held = pod.hold_next("GET", MEMBER_LIST)
    pod.say(ALICE, desk.id, "/kick @bob")
    # The refusal is sent (the locked room turns it away) while the member list, if its
    # request left before the room's answer ended the command, is still held.
    await pod.wait_for_calls("POST", r"/agent/v4/stream/[^/]+/message/create$")
    held.set()
    assert BOB in desk.members
    assert changes(pod) == []


async def test_a_denied_caller_causes_no_lookup_at_all(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    async with running(pod, settings_for(policy={"deny": [str(BOB)]})):
        reply = await Room(pod, DESK).say(BOB, "/kick @dave")
    assert "You are on this bot's deny list" in reply.text
    assert pod.calls("GET", ROOM_INFO) == []
    assert pod.calls("GET", MEMBER_LIST) == []
    assert changes(pod) == []
    assert DAVE in pod.room(DESK).members


async def test_the_lookups_begin_while_the_command_is_recorded_and_nothing_changes_before(
    pod: SymphonyPod, settings_for: ConfigMaker, tmp_path: Path
) -> None:
    app = await start_bot(settings_for())
    blocker = sqlite3.connect(tmp_path / "kickbot.db", isolation_level=None)
    try:
        await pod.wait_until_listening()
        # Another connection holds the store's write lock: the command cannot be recorded yet.
        blocker.execute("BEGIN IMMEDIATE")
        pod.say(ALICE, DESK, "/kick @bob")
        await pod.wait_for_calls("GET", ROOM_INFO)
        await pod.wait_for_calls("GET", MEMBER_LIST)
        assert changes(pod) == []  # looked up, but not acted on, before it is recorded
        blocker.execute("ROLLBACK")
        reply = await pod.next_message(DESK, timeout=20.0)
    finally:
        blocker.close()
        await app.stop()
    assert "Removed @Bob Member." in reply.text
    assert len(changes(pod)) == 1
