"""/kick on Chime end to end: signed Mention event -> kickbot -> Chime API -> webhook reply."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import ALICE, BOB, CAROL, DESK, SOLO, ConfigMaker, Room, path, start_bot
from tests.kit import running


async def test_a_kicks_calls_and_its_reply(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "/kick @bob@example.com spamming the desk")
    assert reply.content.startswith("@alice@example.com ")  # a real mention of the caller
    assert [c.status for c in chime.calls("DeleteRoomMembership")] == [204]
    # One read of the member list: it found the sender, then served the command's checks.
    assert len(chime.calls("ListRoomMemberships")) == 1
    # kickbot's change made it stale: the next command reads the list again; a plain address
    # is looked up among the account's users.
    reply = await desk.say(ALICE, "/kick dave@globex.example")
    assert "Removed @dave@globex.example." in reply.text
    assert len(chime.calls("ListRoomMemberships")) == 2
    assert {"user-email": "dave@globex.example"} in [c.query for c in chime.calls("ListUsers")]


async def test_bare_command_after_the_mention(chime: ChimeDouble, desk: Room) -> None:
    reply = await desk.say(ALICE, "kick @bob@example.com")
    assert "Removed @bob@example.com." in reply.text
    assert BOB not in desk.roles


async def test_unaddressed_mention_text_is_not_a_command(chime: ChimeDouble, desk: Room) -> None:
    # The bot only hears messages that mention it; one that does not start with the mention
    # and holds no /command is not a command, so nothing is looked up or answered.
    await desk.send(ALICE, "thanks @kickbot@example.com", addressed=False)
    reply = await desk.say(ALICE, "/help")
    assert "Commands you may use here" in reply.text
    assert len(chime.messages(DESK)) == 1


async def test_paginated_member_list_is_read_to_the_end(
    chime: ChimeDouble, settings_for: ConfigMaker
) -> None:
    async with running(start_bot(settings_for({"page_size": 2}), chime)):
        reply = await Room(chime, DESK).say(ALICE, "/kick @frank@example.com @dave@globex.example")
    # Frank is last in the list (page 3 of 2-member pages) and still found (protected).
    assert "@frank@example.com is protected" in reply.text
    assert "Removed @dave@globex.example." in reply.text
    assert "page-4" in [c.query.get("next-token") for c in chime.calls("ListRoomMemberships")]
    assert all(c.query["max-results"] == "2" for c in chime.calls("ListRoomMemberships"))


async def test_room_ids_are_taken_from_the_event(chime: ChimeDouble, solo: Room) -> None:
    reply = await solo.say(ALICE, "/kick @bob@example.com")
    assert "Removed @bob@example.com." in reply.text
    assert chime.state_changes() == [f"DELETE {path(SOLO, BOB)}"]
    assert BOB in chime.room(DESK).roles


@pytest.fixture
async def unreused(chime: ChimeDouble, settings_for: ConfigMaker) -> AsyncIterator[Room]:
    """#desk, the bot keeping no member list for later commands (``members_reuse_seconds: 0``)."""
    async with running(start_bot(settings_for({"members_reuse_seconds": 0}), chime)):
        yield Room(chime, DESK)


async def test_with_reuse_off_a_command_reads_its_own_list(
    chime: ChimeDouble, unreused: Room
) -> None:
    assert "Removed @bob@example.com." in (await unreused.say(ALICE, "/kick @bob@example.com")).text
    assert len(chime.calls("ListRoomMemberships")) == 2


async def test_a_failed_room_lookup_refuses_the_whole_command(
    chime: ChimeDouble, unreused: Room
) -> None:
    """The rank matrix, with Administrator as room owner, is the contract table's; a Chime
    room's roles come from one member list per command, so no per-target look-up fails alone.
    The sender is found in the room's member list when the event arrives: a /help first keeps
    that list, so the kick's own read of it (for the roles) is the one that fails."""
    await unreused.say(ALICE, "/help")
    chime.fail_next("ListRoomMemberships", "ForbiddenException", message="Access denied")
    reply = (await unreused.say(ALICE, "/kick @bob@example.com @carol@example.com")).text
    assert "Could not check the room before acting, so nothing was changed" in reply
    assert "Access denied" in reply
    statuses = [c.status for c in chime.calls("ListRoomMemberships")]
    assert statuses[-1] == 403, statuses
    assert statuses.count(403) == 1, statuses
    assert chime.room(DESK).roles[BOB] == "Member"
    assert chime.room(DESK).roles[CAROL] == "Administrator"
    assert chime.state_changes() == []
