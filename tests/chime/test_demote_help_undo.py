"""/demote, /help and /undo on Chime: Administrator is the owner role."""

from __future__ import annotations

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import ALICE, BOB, CAROL, DESK, SOLO, Room, path


async def test_owner_demotes_another_administrator(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/demote @carol@example.com")
    assert "Demoted @carol@example.com to member." in reply.text
    assert desk.roles[CAROL] == "Member"
    (call,) = chime.calls("UpdateRoomMembership")
    assert (call.method, call.path, call.body) == ("POST", path(DESK, CAROL), {"Role": "Member"})


async def test_help_lists_what_an_administrator_may_do(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/help")
    assert "Commands you may use here:" in reply.text
    assert "/kick @user [@user …] [reason…]" in reply.text
    assert "/demote @user [@user …]" in reply.text
    assert "/ib-remove" not in reply.text  # not a Chime capability
    assert "`/kick @user \\[@user …\\] \\[reason…\\]`" not in reply.content  # code is not escaped
    assert "`/kick @\u200buser [@\u200buser …] [reason…]`" in reply.content


async def test_ib_remove_is_unsupported_on_chime(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/ib-remove 42 @bob@example.com")
    assert (
        "/ib-remove is not available on Amazon Chime: Amazon Chime has no information barrier"
        in (reply.text)
    )
    assert chime.state_changes() == []


async def test_undo_re_adds_as_member_then_re_promotes(chime: ChimeDouble, desk: Room) -> None:
    """The outcome: tests/contract/test_demote_undo.py; here, Chime's calls."""
    await desk.say(ALICE, "/kick @bob@example.com @carol@example.com")
    await desk.say(ALICE, "/undo")
    creates = [c.body for c in chime.calls("CreateRoomMembership")]
    assert creates == [{"MemberId": BOB, "Role": "Member"}, {"MemberId": CAROL, "Role": "Member"}]
    assert [c.body for c in chime.calls("UpdateRoomMembership")] == [{"Role": "Administrator"}]


async def test_undo_when_the_person_is_back_already(chime: ChimeDouble, solo: Room) -> None:
    await solo.say(ALICE, "/kick @bob@example.com")
    chime.room(SOLO).memberships.clear()  # someone re-added Bob by hand meanwhile:
    chime.add_room(SOLO, "Solo", administrators=[ALICE], members=[BOB])
    reply = await solo.say(ALICE, "/undo")
    assert "Could not undo the change for @bob@example.com: the platform refused (HTTP 409)" in (
        reply.text
    )
    assert "Conflict: The member is already in the room." in reply.text
