"""Kick and the refusals around it on the Chime SDK double (every request model-checked)."""

from __future__ import annotations

from bot.app import App
from bot.platforms.chime_sdk.inbound import ChannelMessage
from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import Channel, ConfigMaker, start_bot


async def test_a_moderator_kicks_a_member(desk: Channel, sdk: ChimeSdkDouble) -> None:
    reply = await desk.say("alice", "/kick @bob spamming the desk")
    assert reply.startswith("@alice /kick · case 1: 1 done"), reply
    assert "Removed @bob — reason: spamming the desk" in reply
    assert "bob" not in desk.members
    (call,) = sdk.calls("DeleteChannelMembership")
    assert call.bearer == sdk.bot  # x-amz-chime-bearer: the bot's AppInstanceUser
    assert call.path == f"/channels/{desk.arn}/memberships/{sdk.user_arn('bob')}"
    # The reply went to the command's channel, as the bot, as markdown.
    (sent,) = sdk.calls("SendChannelMessage")
    assert sent.bearer == sdk.bot
    assert sent.body["ContentType"] == "text/markdown"


async def test_a_target_may_be_named_by_its_full_arn(desk: Channel, sdk: ChimeSdkDouble) -> None:
    reply = await desk.say("carol", f"/kick {sdk.user_arn('dave')} @bob")
    assert "2 done" in reply, reply
    assert {"bob", "dave"}.isdisjoint(desk.members)


async def test_a_protected_member_is_untouched(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    policy = {"protected": [sdk.user_arn("dave")]}
    app, platform = await start_bot(settings_for(policy=policy))
    try:
        reply = await Channel(sdk, platform, "desk").say("alice", "/kick @dave @bob")
    finally:
        await app.stop()
    assert "1 done, 1 refused" in reply, reply
    assert [op for op, _ in sdk.state_changes()] == ["DeleteChannelMembership"]
    assert sdk.user_arn("dave") in sdk.channel(f"{sdk.app_instance_arn}/channel/desk").members


async def test_an_app_instance_admin_counts_as_an_owner(desk: Channel, sdk: ChimeSdkDouble) -> None:
    # frank is no moderator of desk, but an AppInstanceAdmin: a room owner.
    reply = await desk.say("frank", "/kick @bob")
    assert "1 done" in reply, reply
    assert len(sdk.calls("ListAppInstanceAdmins")) >= 1


async def test_the_bots_own_messages_and_control_messages_are_not_commands(
    desk: Channel, sdk: ChimeSdkDouble, bot: tuple[App, object]
) -> None:
    own = sdk.say(sdk.bot, desk.arn, "/kick @bob")
    control = sdk.say(sdk.user_arn("alice"), desk.arn, "/kick @bob", type="CONTROL")
    plain = sdk.say(sdk.user_arn("alice"), desk.arn, "kick @bob, please")
    for message in (own, control, plain):
        inbound = ChannelMessage.from_payload(sdk.payload(desk.arn, message))
        assert inbound is not None
        assert not await desk.platform.receive(inbound)
    assert sdk.state_changes() == []


async def test_a_message_seen_twice_acts_once(desk: Channel, sdk: ChimeSdkDouble) -> None:
    message = sdk.say(sdk.user_arn("alice"), desk.arn, "/kick @bob")
    inbound = ChannelMessage.from_payload(sdk.payload(desk.arn, message))
    assert inbound is not None
    await desk.platform.receive(inbound)
    await desk.reply()
    await desk.platform.receive(inbound)  # caught up again after a reconnect: the same id
    await desk.say("alice", "/help")
    assert len(sdk.calls("DeleteChannelMembership")) == 1


async def test_a_reply_in_an_elastic_channel_goes_to_the_sub_channel(
    desk: Channel, sdk: ChimeSdkDouble
) -> None:
    await desk.say("alice", "/help", sub_channel_id="sub-7")
    (sent,) = sdk.calls("SendChannelMessage")
    assert sent.body["SubChannelId"] == "sub-7"
