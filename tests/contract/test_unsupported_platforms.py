"""What a platform cannot do is said, not tried, the same on every platform: a command needing
what it lacks (Information Barriers off Symphony, ``/demote`` on Slack) is refused with the
platform's reason, and nothing is called."""

from __future__ import annotations

import pytest

from bot.platforms import PLUGINS
from tests.contract.worlds import World

IB_GROUPS = {
    "symphony": None,
    "slack": ".",
    "rocketchat": ": Rocket.Chat has no Information Barrier groups",
    "chime": ": Amazon Chime has no information barrier groups.",
    "chime_sdk": ": Amazon Chime SDK messaging has no information barrier groups.",
    "matrix": ": Matrix has no information barriers.",
}
"""How the reply ends that says /ib-remove is not available, where it is not."""

NAMED = {
    "commands": {
        "ib-remove": {"users": ["frank@example.com"]},
        "offboard": {"users": ["frank@example.com"]},
    }
}


def off_symphony(world: World) -> tuple[str, str]:
    """The platform's name and why it has no Information Barriers (skips Symphony's world)."""
    platform = world.platform.split("-")[0]
    why = IB_GROUPS[platform]
    if why is None:
        pytest.skip(f"{world}: Information Barriers are its own")
    return PLUGINS[platform].display_name, why


@pytest.mark.parametrize("policy", [NAMED], ids=["frank-named"])
async def test_information_barriers_are_symphonys_only(world: World) -> None:
    name, why = off_symphony(world)
    reply = await world.say("frank", world.line("ib-remove", rest="42 " + world.typed["bob"]))
    assert f"ib-remove is not available on {name}{why}" in reply
    offboard = await world.say("frank", world.line("offboard", "bob", rest="--ib-group research"))
    assert (
        f"--ib-group: {name} has no Information Barrier groups (only Symphony does)."
        " Nothing was changed." in offboard
    )
    assert "bob" in world.members()
    assert world.changes() == []


async def test_demote_says_why_where_a_room_has_no_owners_of_its_own(world: World) -> None:
    if world.owners is not None:
        pytest.skip(f"{world}: a room's owners are its own (see test_demote_undo.py)")
    reply = await world.say("alice", world.line("demote", "bob"))
    assert f"{world.command}demote is not available on Slack" in reply
    assert "Slack offers bots no API to demote a channel manager" in reply
    assert "bob" in world.members()
    assert world.changes() == []
