"""!demote on Rocket.Chat's wire: the endpoint family of the room's type, an owner who is also a
moderator, a moderator who is no owner (!help and !undo: ``tests/contract/test_demote_undo.py``)."""

from __future__ import annotations

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, CAROL, DAVE, DESK, TOWN, Room, visible


async def test_demote_in_a_public_channel(server: RocketChatServer, town: Room) -> None:
    server.room(TOWN).add(CAROL, "owner")
    reply = await town.say(ALICE, "!demote @carol")
    assert "Demoted @carol to member." in visible(reply.msg)
    assert town.owners == {ALICE}
    assert server.changing_calls() == [f"channels.removeOwner {CAROL}"]


async def test_demoting_an_owner_who_is_also_moderator_removes_both_roles(
    server: RocketChatServer, desk: Room
) -> None:
    server.room(DESK).add(CAROL, "moderator")
    reply = await desk.say(ALICE, "!demote @carol")
    assert "Demoted @carol to member." in visible(reply.msg)
    assert server.room(DESK).roles[CAROL] == set()
    assert server.changing_calls() == [
        f"groups.removeOwner {CAROL}",
        f"groups.removeModerator {CAROL}",
    ]


async def test_a_moderator_only_is_not_an_owner_to_demote(
    server: RocketChatServer, desk: Room
) -> None:
    reply = await desk.say(ALICE, "!demote @dave")
    assert "@dave is not an owner of this room: nothing to demote." in visible(reply.msg)
    assert server.room(DESK).roles[DAVE] == {"moderator"}
    assert server.changing_calls() == []
