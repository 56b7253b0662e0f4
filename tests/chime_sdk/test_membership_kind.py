"""A channel membership's Type (DEFAULT or HIDDEN) survives a removal and its /undo: a member kicked
or offboarded is put back with CreateChannelMembership of the Type they had, so a hidden member
is not made visible in the member list by the undo."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.model import RoomRef
from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.chime_sdk.conftest import Channel, ConfigMaker, start_bot

HIDDEN, DEFAULT = "HIDDEN", "DEFAULT"


def hide(sdk: ChimeSdkDouble, channel: str, name: str = "hank") -> str:
    """``name``, a new AppInstanceUser, a HIDDEN member of ``channel`` (its id): their ARN."""
    arn = sdk.add_user(name, name.title())
    sdk.channel(f"{sdk.app_instance_arn}/channel/{channel}").add(arn, HIDDEN)
    return arn


def created(sdk: ChimeSdkDouble) -> list[tuple[str, str, str]]:
    """Each CreateChannelMembership asked for: (channel id, member id, Type)."""
    return [
        (
            c.path.removesuffix("/memberships").rsplit("/", 1)[-1],
            str((c.body or {})["MemberArn"]).rsplit("/", 1)[-1],
            str((c.body or {})["Type"]),
        )
        for c in sdk.calls("CreateChannelMembership")
    ]


async def test_undo_of_a_kick_puts_each_member_back_as_the_type_they_had(
    desk: Channel, sdk: ChimeSdkDouble
) -> None:
    hank = hide(sdk, "desk")
    listed = {m.user.id: m.kind for m in await desk.platform.members(RoomRef(desk.arn))}
    assert listed[hank] == HIDDEN  # listed with the rest, its kind said
    assert listed[sdk.user_arn("bob")] is None
    assert "Removed @bob.\nRemoved @hank." in await desk.say("alice", "/kick @bob @hank")
    assert {"bob", "hank"}.isdisjoint(desk.members)
    assert "Re-added @bob.\nRe-added @hank." in await desk.say("alice", "/undo")
    assert [(who, kind) for _, who, kind in created(sdk)] == [("bob", DEFAULT), ("hank", HIDDEN)]
    members = sdk.channel(desk.arn).members
    assert (members[sdk.user_arn("bob")], members[hank]) == (DEFAULT, HIDDEN)
    # Hidden again: left out of the usual member list, as before the kick.
    again = {m.user.id: m.kind for m in await desk.platform.members(RoomRef(desk.arn))}
    assert (again[sdk.user_arn("bob")], again[hank]) == (None, HIDDEN)


async def test_undo_of_an_offboarding_puts_them_back_hidden_where_they_were_hidden(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker
) -> None:
    """Hank: HIDDEN in #desk, DEFAULT in #solo. Frank (an AppInstanceAdmin, named in the
    policy) offboards him and undoes it."""
    hank = hide(sdk, "desk")
    sdk.channel(f"{sdk.app_instance_arn}/channel/solo").add(hank)
    sdk.operations.admins.add(sdk.bot)
    policy = {"commands": {"offboard": {"users": [sdk.user_arn("frank")]}}}
    app, platform = await start_bot(settings_for(policy=policy))
    try:
        desk = Channel(sdk, platform, "desk")
        reply = await desk.say("frank", "/offboard @hank moved")
        assert "offboarding @hank from 2 rooms: 2 done." in reply, reply
        assert all(hank not in c.members for c in sdk.channels.values())
        reply = await desk.say("frank", "/undo")
        assert "undoing case 1: 2 done" in reply, reply
    finally:
        await app.stop()
    assert sorted(created(sdk)) == [("desk", "hank", HIDDEN), ("solo", "hank", DEFAULT)]
    assert sdk.channel(desk.arn).members[hank] == HIDDEN
    assert sdk.channel(f"{sdk.app_instance_arn}/channel/solo").members[hank] == DEFAULT


async def test_a_kick_recorded_without_a_type_is_undone_as_before_with_default(
    sdk: ChimeSdkDouble, settings_for: ConfigMaker, tmp_path: Path
) -> None:
    """A step an earlier release wrote (no kind) reads back and re-adds, as DEFAULT."""
    hank = hide(sdk, "desk")
    app, platform = await start_bot(settings_for())
    try:
        assert "Removed @hank." in await Channel(sdk, platform, "desk").say("alice", "/kick @hank")
    finally:
        await app.stop()
    with sqlite3.connect(tmp_path / "kickbot.db") as db:
        (written,) = db.execute("SELECT undo FROM results").fetchall()
        assert written == ('{"op": "add", "owner": false, "kind": "HIDDEN"}',)
        db.execute("""UPDATE results SET undo = '{"op": "add", "owner": false}'""")
    app, platform = await start_bot(settings_for())
    try:
        assert "Re-added @hank." in await Channel(sdk, platform, "desk").say("alice", "/undo")
    finally:
        await app.stop()
    assert [(who, kind) for _, who, kind in created(sdk)] == [("hank", DEFAULT)]
    assert sdk.channel(f"{sdk.app_instance_arn}/channel/desk").members[hank] == DEFAULT
