"""!demote (owner, owner and moderator, never the last owner), !help and !undo end to end."""

from __future__ import annotations

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, CAROL, DAVE, DESK, TOWN, Room, visible


async def test_owner_demotes_an_owner_in_a_private_group(
    server: RocketChatServer, desk: Room
) -> None:
    reply = await desk.say(ALICE, "!demote @carol")
    assert "Demoted @carol to member." in visible(reply.msg)
    assert desk.owners == {ALICE}
    assert CAROL in desk.members
    assert server.changing_calls() == [f"groups.removeOwner {CAROL}"]


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


async def test_last_owner_cannot_be_demoted(server: RocketChatServer, solo: Room) -> None:
    reply = await solo.say(ALICE, "!demote @alice")
    assert "@alice is the last owner of this room and cannot be demoted" in visible(reply.msg)
    assert solo.owners == {ALICE}
    assert server.changing_calls() == []


async def test_member_may_not_demote_and_no_role_change_is_attempted(
    server: RocketChatServer, desk: Room
) -> None:
    reply = await desk.say(BOB, "!demote @alice")
    assert "You may not run `!demote` here" in visible(reply.msg)
    assert desk.owners == {ALICE, CAROL}
    assert server.calls(r"\.(kick|removeOwner|removeModerator)$") == []


async def test_help_lists_what_the_caller_may_do_with_the_prefix(desk: Room) -> None:
    reply = await desk.say(ALICE, "!help")
    text = visible(reply.msg)
    assert "Commands you may use here:" in text
    assert "`!kick @user [@user …] [reason…]`" in text
    assert "`!demote @user [@user …]`" in text
    assert "ib-remove" not in text  # Rocket.Chat has no IB groups
    assert "/kick" not in text  # that is Rocket.Chat's own built-in command


async def test_help_for_a_plain_member(desk: Room) -> None:
    reply = await desk.say(BOB, "@kickbot help")
    text = visible(reply.msg)
    assert "!help" in text
    assert "!kick" not in text


async def test_undo_re_adds_a_kicked_owner(server: RocketChatServer, desk: Room) -> None:
    await desk.say(ALICE, "!kick @carol")
    assert CAROL not in desk.members
    reply = await desk.say(ALICE, "!undo")
    assert "Re-added @carol as owner." in visible(reply.msg)
    assert CAROL in desk.members
    assert desk.owners == {ALICE, CAROL}
    assert server.changing_calls() == [
        f"groups.kick {CAROL}",
        f"groups.invite {CAROL}",
        f"groups.addOwner {CAROL}",
    ]
