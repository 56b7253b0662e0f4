"""!undo on Rocket.Chat obeys rank and the ownership of the room a change was made in: a step
the caller could not make now is refused with its own line and no call to the server."""

from __future__ import annotations

from pathlib import Path

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import (
    ALICE,
    BOB,
    CAROL,
    DESK,
    POLICY,
    TOWN,
    Room,
    settings_maker,
    start_bot,
    visible,
)


async def test_a_kick_in_a_room_the_caller_does_not_own_is_not_undone_from_another(
    server: RocketChatServer, tmp_path: Path
) -> None:
    """Carol may undo from another room (policy.commands.undo.users), but she is a plain member
    of the town, where the kick was."""
    policy = {**POLICY, "commands": {**POLICY["commands"], "undo": {"users": [CAROL]}}}
    app = await start_bot(settings_maker(server, tmp_path)(policy=policy), server)
    try:
        town, desk = Room(server, TOWN), Room(server, DESK)
        assert "Removed @bob." in visible((await town.say(ALICE, "!kick @bob")).msg)
        reply = visible((await desk.say(CAROL, "!undo 1")).msg)
    finally:
        await app.stop()
    assert (
        "Not undone for @bob: undoing `!kick` needs an owner of the room or a user named in"
        " `policy.commands.kick.users`, as running it would." in reply
    )
    assert BOB not in server.room(TOWN).members
    assert server.changing_calls() == [f"channels.kick {BOB}"]


async def test_a_rank_that_cannot_be_established_refuses_the_step(
    server: RocketChatServer, desk: Room
) -> None:
    assert "Removed @bob." in visible((await desk.say(CAROL, "!kick @bob")).msg)
    # As in the kick's rank test: once the room is read, Bob's rank (no room role now) is
    # looked up with users.info, which fails.
    release = server.hold_next("rooms.info")
    delivery = await desk.post(ALICE, "!undo 1")
    assert delivery.status == 200
    await server.wait_for_calls("rooms.info")
    server.fail_next("users.info", "error-not-allowed", status=403, message="Not allowed")
    release.set()
    reply = visible((await server.next_message(DESK, timeout=20.0)).msg)
    assert "undoing case 1: 1 refused" in reply
    assert "Not undone for @bob: Could not establish the rank of @bob" in reply
    assert BOB not in desk.members
    assert server.changing_calls() == [f"groups.kick {BOB}"]
