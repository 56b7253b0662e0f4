"""!demote (owner, owner and moderator, never the last owner), !help and !undo end to end."""

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


async def test_help_lists_what_the_caller_may_do_with_the_prefix(desk: Room) -> None:
    reply = await desk.say(ALICE, "!help")
    text = visible(reply.msg)
    assert "`!kick @user [@user …] [reason…]`" in text  # code spans
    assert "/kick" not in text  # that is Rocket.Chat's own built-in command
