"""/offboard on the Chime SDK: the person's channels from ListChannelMembershipsForAppInstanceUser
(which only an AppInstanceAdmin may ask about someone else); the outcome in each channel is the
contract table's (tests/contract/test_offboard.py)."""

from __future__ import annotations

from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import Channel, ConfigMaker, start_bot


async def offboard_bob(sdk: ChimeSdkDouble, settings_for: ConfigMaker) -> str:
    """Frank, named in the policy, offboards Bob: the reply."""
    policy = {"commands": {"offboard": {"users": [sdk.user_arn("frank")]}}}
    app, platform = await start_bot(settings_for(policy=policy))
    try:
        return await Channel(sdk, platform, "desk").say("frank", "/offboard @bob moved")
    finally:
        await app.stop()


async def test_the_channels_are_asked_for_by_the_person(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    sdk.operations.admins.add(sdk.bot)
    reply = await offboard_bob(sdk, settings_for)
    assert "offboarding @bob from 2 rooms: 2 done." in reply, reply
    asked = [
        c.query.get("app-instance-user-arn")
        for c in sdk.calls("ListChannelMembershipsForAppInstanceUser")
    ]
    assert asked.count(sdk.user_arn("bob")) == 2  # the rehearsal, then the run


async def test_offboarding_needs_the_bot_to_be_an_app_instance_admin(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    reply = await offboard_bob(sdk, settings_for)
    assert "only an AppInstanceAdmin may list another user's channels" in reply, reply
    assert sdk.state_changes() == []
