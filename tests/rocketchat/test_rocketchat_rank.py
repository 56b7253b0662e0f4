"""Rank on Rocket.Chat when a target's rank cannot be looked up in an undo: that step is refused.
A failed rank or room look-up in a command is the contract table's
(``tests/contract/test_lookup_failures.py``), as are the rank matrix, with moderators and global
admins as room owners, and a rank named by user id."""

from __future__ import annotations

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, CAROL, DESK, Room, visible


async def said_while_ranks_fail(
    server: RocketChatServer, desk: Room, caller: str, text: str
) -> str:
    """``text`` said by ``caller``, the look-up of a target's rank failing. Users are read at
    delivery (usernames, the caller), then the dispatcher reads the room (rooms.info first) and
    ranks each target without a room role with users.info: holding rooms.info lets the test
    plan a users.info failure that only the targets' look-ups meet."""
    release = server.hold_next("rooms.info")
    assert (await desk.post(caller, text)).status == 200
    await server.wait_for_calls("rooms.info")
    server.fail_next("users.info", "error-not-allowed", status=403, message="Not allowed")
    release.set()
    return visible((await server.next_message(DESK, timeout=20.0)).msg)


async def test_an_undo_step_whose_rank_cannot_be_established_is_refused(
    server: RocketChatServer, desk: Room
) -> None:
    assert "Removed @bob." in visible((await desk.say(CAROL, "!kick @bob")).msg)
    reply = await said_while_ranks_fail(server, desk, ALICE, "!undo 1")  # Bob: no room role now
    assert "undoing case 1: 1 refused" in reply
    assert "Not undone for @bob: Could not establish the rank of @bob" in reply
    assert BOB not in desk.members
    assert server.changing_calls() == [f"groups.kick {BOB}"]
