"""Rocket.Chat: a kick, a demotion or a re-add whose answer is lost (a 500 after acting, a reset
connection; a POST is never repeated) is reported by what the room shows: done, and undoable."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, CAROL, Room, visible

LOST: dict[str, dict[str, Any]] = {"500": {"status": 500}, "reset": {"reset": True}}


@pytest.mark.parametrize("how", sorted(LOST))
async def test_a_kick_whose_answer_is_lost_is_done_and_undone(
    server: RocketChatServer, desk: Room, bot: App, how: str
) -> None:
    server.fail_next("groups.kick", after_effect=True, **LOST[how])
    reply = await desk.say(ALICE, "!kick @bob")
    assert "Removed @bob." in visible(reply.msg)
    assert "1 done" in visible(reply.msg)
    assert BOB not in desk.members
    assert bot.store is not None
    (row,) = await bot.store.audit(case=1)
    (result,) = row.results
    assert result["result"] == "done"
    assert "looked: the member list no longer lists them" in str(result["platform_response"])
    undo = await desk.say(ALICE, "!undo")
    assert "Re-added @bob." in visible(undo.msg)
    assert BOB in desk.members


async def test_a_demotion_whose_answer_is_lost_is_done_and_undone(
    server: RocketChatServer, desk: Room
) -> None:
    server.fail_next("groups.removeOwner", status=500, after_effect=True)
    reply = await desk.say(ALICE, "!demote @carol")
    assert "Demoted @carol to member." in visible(reply.msg)
    assert desk.owners == {ALICE}
    undo = await desk.say(ALICE, "!undo")
    assert "Promoted @carol back to owner." in visible(undo.msg)
    assert desk.owners == {ALICE, CAROL}


async def test_a_re_add_whose_answers_are_lost_is_done(
    server: RocketChatServer, desk: Room
) -> None:
    await desk.say(ALICE, "!kick @carol")
    server.fail_next("groups.invite", after_effect=True, reset=True)
    server.fail_next("groups.addOwner", status=500, after_effect=True)
    undo = await desk.say(ALICE, "!undo")
    assert "Re-added @carol as owner." in visible(undo.msg)
    assert "1 done" in visible(undo.msg)
    assert CAROL in desk.members
    assert desk.owners == {ALICE, CAROL}


async def test_a_refusal_with_the_member_still_there_is_a_failure(
    server: RocketChatServer, desk: Room
) -> None:
    server.fail_next("groups.kick", status=500)  # before acting
    reply = await desk.say(ALICE, "!kick @bob")
    assert "Could not remove @bob" in visible(reply.msg)
    assert BOB in desk.members
