"""The Chime SDK's calls for /demote (DeleteChannelModerator) and /undo (CreateChannelMembership,
CreateChannelModerator); what the room shows after them is the contract table's
(``tests/contract/test_demote_undo.py``)."""

from __future__ import annotations

from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import Channel


async def test_undo_of_a_demote_makes_a_moderator_again(desk: Channel, sdk: ChimeSdkDouble) -> None:
    await desk.say("alice", "/demote @carol")
    assert "undoing case 1: 1 done" in await desk.say("alice", "/undo")
    (created,) = sdk.calls("CreateChannelModerator")
    assert created.body == {"ChannelModeratorArn": sdk.user_arn("carol")}


async def test_undo_of_a_kick_adds_them_back(desk: Channel, sdk: ChimeSdkDouble) -> None:
    await desk.say("alice", "/kick @bob @dave")
    assert "Re-added @bob.\nRe-added @dave." in await desk.say("alice", "/undo")
    bodies = [c.body for c in sdk.calls("CreateChannelMembership")]
    assert bodies == [
        {"MemberArn": sdk.user_arn("bob"), "Type": "DEFAULT"},
        {"MemberArn": sdk.user_arn("dave"), "Type": "DEFAULT"},
    ]


async def test_a_moderator_kicked_loses_the_role_and_undo_gives_both_back(
    desk: Channel, sdk: ChimeSdkDouble
) -> None:
    assert "Removed @carol." in await desk.say("alice", "/kick @carol")
    # A moderator need not be a member: removed, carol would still moderate the channel.
    assert "carol" not in desk.moderators
    assert [op for op, _ in sdk.state_changes()] == [
        "DeleteChannelMembership",
        "DeleteChannelModerator",
    ]
    assert "Re-added @carol as owner." in await desk.say("alice", "/undo")
    assert {"carol"} <= desk.members & desk.moderators
