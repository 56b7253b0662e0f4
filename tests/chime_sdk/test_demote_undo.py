"""/demote (DeleteChannelModerator) and /undo (CreateChannelMembership, CreateChannelModerator)."""

from __future__ import annotations

from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import Channel


async def test_demote_then_undo(desk: Channel, sdk: ChimeSdkDouble) -> None:
    reply = await desk.say("alice", "/demote @carol")
    assert "1 done" in reply, reply
    assert desk.moderators == {"alice", "kickbot"}
    assert "carol" in desk.members
    reply = await desk.say("alice", "/undo")
    assert "undoing case 1: 1 done" in reply, reply
    assert desk.moderators == {"alice", "carol", "kickbot"}
    (created,) = sdk.calls("CreateChannelModerator")
    assert created.body == {"ChannelModeratorArn": sdk.user_arn("carol")}


async def test_the_last_moderator_is_never_demoted(solo: Channel, sdk: ChimeSdkDouble) -> None:
    reply = await solo.say("alice", "/demote @alice")
    assert "last owner" in reply, reply
    assert "alice" in solo.moderators
    assert sdk.state_changes() == []


async def test_demoting_a_plain_member_is_refused(desk: Channel, sdk: ChimeSdkDouble) -> None:
    reply = await desk.say("alice", "/demote @bob")
    assert "not an owner" in reply, reply
    assert sdk.state_changes() == []


async def test_undo_of_a_kick_adds_them_back(desk: Channel, sdk: ChimeSdkDouble) -> None:
    await desk.say("alice", "/kick @bob @dave")
    assert {"bob", "dave"}.isdisjoint(desk.members)
    reply = await desk.say("alice", "/undo")
    assert "Re-added @bob.\nRe-added @dave." in reply, reply
    assert {"bob", "dave"} <= desk.members
    bodies = [c.body for c in sdk.calls("CreateChannelMembership")]
    assert bodies == [
        {"MemberArn": sdk.user_arn("bob"), "Type": "DEFAULT"},
        {"MemberArn": sdk.user_arn("dave"), "Type": "DEFAULT"},
    ]


async def test_a_moderator_kicked_loses_the_role_and_undo_gives_both_back(
    desk: Channel, sdk: ChimeSdkDouble
) -> None:
    reply = await desk.say("alice", "/kick @carol")
    assert "Removed @carol." in reply, reply
    # A moderator need not be a member: removed, carol would still moderate the channel.
    assert "carol" not in desk.members
    assert "carol" not in desk.moderators
    assert [op for op, _ in sdk.state_changes()] == [
        "DeleteChannelMembership",
        "DeleteChannelModerator",
    ]
    reply = await desk.say("alice", "/undo")
    assert "Re-added @carol as owner." in reply, reply
    assert "carol" in desk.members
    assert "carol" in desk.moderators
