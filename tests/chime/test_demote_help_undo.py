"""/demote, /help and /undo on Chime: Administrator is the owner role."""

from __future__ import annotations

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import (
    ALICE,
    BOB,
    CAROL,
    DESK,
    SOLO,
    ConfigMaker,
    Room,
    path,
    start_bot,
)


async def test_owner_demotes_another_administrator(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/demote @carol@example.com")
    assert "Demoted @carol@example.com to member." in reply.text
    assert desk.roles[CAROL] == "Member"
    (call,) = chime.calls("UpdateRoomMembership")
    assert (call.method, call.path, call.body) == ("POST", path(DESK, CAROL), {"Role": "Member"})


async def test_by_default_an_administrator_demotes_but_does_not_kick_a_co_administrator(
    chime: ChimeDouble, settings_for: ConfigMaker
) -> None:
    settings = settings_for(policy={})  # owners_may_act_on_owners not written: each command's own
    app = await start_bot(settings, chime)
    try:
        room = Room(chime, DESK)
        reply = await room.say(ALICE, "/kick @carol@example.com")
        assert "@carol@example.com has the same rank as you (room owner): not touched." in (
            reply.text
        )
        assert chime.state_changes() == []
        reply = await room.say(ALICE, "/demote @carol@example.com")
        assert "Demoted @carol@example.com to member." in reply.text
        assert chime.room(DESK).roles[CAROL] == "Member"
    finally:
        await app.stop()


async def test_an_administrator_may_not_kick_themselves(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/kick @alice@example.com")
    assert "@alice@example.com: you cannot remove yourself with /kick" in reply.text
    assert chime.state_changes() == []
    assert ALICE in chime.room(DESK).roles


async def test_demote_refusals_change_nothing(chime: ChimeDouble, desk: Room, solo: Room) -> None:
    reply = await desk.say(ALICE, "/demote @bob@example.com")
    assert "@bob@example.com is not an owner of this room: nothing to demote." in reply.text
    reply = await solo.say(ALICE, "/demote @alice@example.com")
    assert "@alice@example.com is the last owner of this room and cannot be demoted" in reply.text
    reply = await desk.say(BOB, "/demote @carol@example.com")
    assert "You may not run /demote here" in reply.text
    assert desk.roles[CAROL] == "Administrator"
    assert solo.roles[ALICE] == "Administrator"
    assert chime.state_changes() == []


async def test_help_lists_what_an_administrator_may_do(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/help")
    assert "Commands you may use here:" in reply.text
    assert "/kick @user [@user …] [reason…]" in reply.text
    assert "/demote @user [@user …]" in reply.text
    assert "/ib-remove" not in reply.text  # not a Chime capability
    assert "`/kick @user \\[@user …\\] \\[reason…\\]`" not in reply.content  # code is not escaped
    assert "`/kick @\u200buser [@\u200buser …] [reason…]`" in reply.content


async def test_help_for_a_plain_member(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(BOB, "help")
    assert "/kick" not in reply.text.split("\n", 1)[1]
    assert "/help" in reply.text


async def test_ib_remove_is_unsupported_on_chime(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/ib-remove 42 @bob@example.com")
    assert (
        "/ib-remove is not available on Amazon Chime: Amazon Chime has no information barrier"
        in (reply.text)
    )
    assert chime.state_changes() == []


async def test_undo_a_kick_re_adds_and_re_promotes(chime: ChimeDouble, desk: Room) -> None:
    await desk.say(ALICE, "/kick @bob@example.com @carol@example.com")
    assert BOB not in desk.roles
    assert CAROL not in desk.roles
    reply = await desk.say(ALICE, "/undo")
    assert "Re-added @bob@example.com." in reply.text
    assert "Re-added @carol@example.com as owner." in reply.text
    assert desk.roles[BOB] == "Member"
    assert desk.roles[CAROL] == "Administrator"
    creates = [c.body for c in chime.calls("CreateRoomMembership")]
    assert creates == [{"MemberId": BOB, "Role": "Member"}, {"MemberId": CAROL, "Role": "Member"}]
    assert [c.body for c in chime.calls("UpdateRoomMembership")] == [{"Role": "Administrator"}]


async def test_undo_a_demote(chime: ChimeDouble, desk: Room) -> None:
    await desk.say(ALICE, "/demote @carol@example.com")
    reply = await desk.say(ALICE, "/undo 1")
    assert "Promoted @carol@example.com back to owner." in reply.text
    assert desk.roles[CAROL] == "Administrator"


async def test_undo_when_the_person_is_back_already(chime: ChimeDouble, solo: Room) -> None:
    await solo.say(ALICE, "/kick @bob@example.com")
    chime.room(SOLO).memberships.clear()  # someone re-added Bob by hand meanwhile:
    chime.add_room(SOLO, "Solo", administrators=[ALICE], members=[BOB])
    reply = await solo.say(ALICE, "/undo")
    assert "Could not undo the change for @bob@example.com: the platform refused (HTTP 409)" in (
        reply.text
    )
    assert "Conflict: The member is already in the room." in reply.text
