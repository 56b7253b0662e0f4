"""Kick, and the refusals around it, on the Chime SDK double (every request model-checked)."""

from __future__ import annotations

from bot.platforms.chime_sdk.inbound import ChannelMessage
from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import Channel


async def test_a_moderator_kicks_a_member(desk: Channel, sdk: ChimeSdkDouble) -> None:
    reply = await desk.say("alice", "/kick @bob spamming the desk")
    assert reply.startswith("@alice `/kick` · case 1: 1 done"), reply
    assert "Removed @bob — reason: spamming the desk" in reply
    assert "bob" not in desk.members
    (call,) = sdk.calls("DeleteChannelMembership")
    assert call.bearer == sdk.bot  # x-amz-chime-bearer: the bot's AppInstanceUser
    assert call.path == f"/channels/{desk.arn}/memberships/{sdk.user_arn('bob')}"


async def test_a_member_may_not_kick(desk: Channel, sdk: ChimeSdkDouble) -> None:
    reply = await desk.say("bob", "/kick @dave")
    assert "dave" in desk.members
    assert sdk.state_changes() == [], reply


async def test_the_bots_own_messages_are_not_commands(desk: Channel, sdk: ChimeSdkDouble) -> None:
    message = sdk.say(sdk.bot, desk.arn, "/kick @bob")
    inbound = ChannelMessage.from_payload(sdk.payload(desk.arn, message))
    assert inbound is not None
    assert not await desk.platform.receive(inbound)
