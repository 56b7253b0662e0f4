"""/demote, /help and /undo on Chime, as its API sees them (what the room shows after each:
``tests/contract/test_demote_undo.py``): Administrator is the owner role."""

from __future__ import annotations

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import ALICE, BOB, CAROL, DESK, SOLO, Room, path


async def test_a_demotion_is_an_update_to_the_member_role(chime: ChimeDouble, desk: Room) -> None:
    await desk.say(ALICE, "/demote @carol@example.com")
    (call,) = chime.calls("UpdateRoomMembership")
    assert (call.method, call.path, call.body) == ("POST", path(DESK, CAROL), {"Role": "Member"})


async def test_help_shows_usages_as_code_not_escaped(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/help")
    assert "`/kick @user \\[@user …\\] \\[reason…\\]`" not in reply.content
    assert "`/kick @\u200buser [@\u200buser …] [reason…]`" in reply.content


async def test_undo_re_adds_as_member_then_re_promotes(chime: ChimeDouble, desk: Room) -> None:
    await desk.say(ALICE, "/kick @bob@example.com @carol@example.com")
    await desk.say(ALICE, "/undo")
    creates = [c.body for c in chime.calls("CreateRoomMembership")]
    assert creates == [{"MemberId": BOB, "Role": "Member"}, {"MemberId": CAROL, "Role": "Member"}]
    assert [c.body for c in chime.calls("UpdateRoomMembership")] == [{"Role": "Administrator"}]


async def test_undo_when_the_person_is_back_already(chime: ChimeDouble, solo: Room) -> None:
    await solo.say(ALICE, "/kick @bob@example.com")
    chime.room(SOLO).memberships.clear()  # someone re-added Bob by hand meanwhile:
    chime.add_room(SOLO, "Solo", administrators=[ALICE], members=[BOB])
    reply = (await solo.say(ALICE, "/undo")).text
    assert (
        "Could not undo the change for @bob@example.com: the platform refused (HTTP 409)" in reply
    )
    assert "Conflict: The member is already in the room." in reply
