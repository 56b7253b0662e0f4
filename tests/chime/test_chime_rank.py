"""Rank on Amazon Chime: a room that cannot be read refuses the whole command (the rank matrix,
with the Administrator role as room owner, is the contract table's). A Chime room's roles come
from one member list per command, so there is no per-target rank look-up that could fail on its
own.
"""

from __future__ import annotations

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import ALICE, BOB, CAROL, DESK, ConfigMaker, Room, start_bot
from tests.kit import running


async def test_a_failed_room_lookup_refuses_the_whole_command(
    chime: ChimeDouble, settings_for: ConfigMaker
) -> None:
    # The sender is found in the room's member list when the event arrives, a list kept for a
    # while: a /help first keeps it, so the kick's own lookup of the list (for the roles, made
    # with GetRoom, not served from the kept list with reuse off) is the one that fails.
    async with running(start_bot(settings_for({"members_reuse_seconds": 0}), chime)):
        desk = Room(chime, DESK)
        await desk.say(ALICE, "/help")
        chime.fail_next("ListRoomMemberships", "ForbiddenException", message="Access denied")
        reply = (await desk.say(ALICE, "/kick @bob@example.com @carol@example.com")).text
    assert "Could not check the room before acting, so nothing was changed" in reply
    assert "Access denied" in reply
    statuses = [c.status for c in chime.calls("ListRoomMemberships")]
    assert statuses[-1] == 403, statuses
    assert statuses.count(403) == 1, statuses
    assert chime.room(DESK).roles[BOB] == "Member"
    assert chime.room(DESK).roles[CAROL] == "Administrator"
    assert chime.state_changes() == []
