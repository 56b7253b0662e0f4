"""!undo on Rocket.Chat from another room obeys the ownership of the room a change was made in
(its rank checks: test_rocketchat_rank.py)."""

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
