"""/offboard on the Chime SDK: the person's channels from ListChannelMembershipsForAppInstanceUser
(which only an AppInstanceAdmin may ask about someone else)."""

from __future__ import annotations

from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import Channel, ConfigMaker, start_bot


async def test_offboarding_across_channels(sdk: ChimeSdkDouble, settings_for: ConfigMaker) -> None:
    sdk.operations.admins.add(sdk.bot)
    nook = sdk.add_channel("nook", "Nook", moderators=[sdk.user_arn("bob")])
    policy = {"commands": {"offboard": {"users": [sdk.user_arn("frank")]}}}
    app, platform = await start_bot(settings_for(policy=policy))
    desk = Channel(sdk, platform, "desk")
    try:
        reply = await desk.say("frank", "/offboard @bob moved")
    finally:
        await app.stop()
    assert "offboarding @bob from 3 rooms: 2 done, 1 refused." in reply, reply
    assert "Removed @bob from “Trading Desk” — reason: moved" in reply
    assert "Removed @bob from “Solo” — reason: moved" in reply
    assert "Refused in “Nook”: @bob is its last owner" in reply
    for channel in ("desk", "solo"):
        assert (
            sdk.user_arn("bob")
            not in sdk.channel(f"{sdk.app_instance_arn}/channel/{channel}").members
        )
    assert sdk.user_arn("bob") in sdk.channel(nook).members
    asked = [
        c.query.get("app-instance-user-arn")
        for c in sdk.calls("ListChannelMembershipsForAppInstanceUser")
    ]
    assert asked.count(sdk.user_arn("bob")) == 2  # the rehearsal, then the run


async def test_offboarding_needs_the_bot_to_be_an_app_instance_admin(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    policy = {"commands": {"offboard": {"users": [sdk.user_arn("frank")]}}}
    app, platform = await start_bot(settings_for(policy=policy))
    try:
        reply = await Channel(sdk, platform, "desk").say("frank", "/offboard @bob")
    finally:
        await app.stop()
    assert "only an AppInstanceAdmin may list another user's channels" in reply, reply
    assert sdk.state_changes() == []
