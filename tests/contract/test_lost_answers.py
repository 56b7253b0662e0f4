"""A change whose answer is lost (an error sent after acting, a reset connection) is reported by
what the room shows, not by the error: done, and undoable; a change refused before acting is a
failure. The same on every platform (how each client retries is its wire: ``tests/<platform>/``).
"""

from __future__ import annotations

import pytest

from tests.contract.worlds import LOST, Knobs, World

lost = pytest.mark.parametrize("how", sorted(LOST))


def knobs(world: World, *, owned: bool = False) -> Knobs:
    if owned and world.owners is None:
        pytest.skip(f"{world}: a room's owners are not its own")
    assert world.knobs is not None
    return world.knobs


@lost
async def test_a_kick_whose_answer_is_lost_is_done_and_undone(world: World, how: str) -> None:
    knobs(world).lose("remove", how)
    reply = await world.say("alice", world.line("kick", "bob"))
    assert f"Removed {world.shown['bob']}." in reply
    assert "1 done" in reply
    assert "Could not" not in reply
    assert "bob" not in world.members()
    (result,) = await world.results(1)
    assert result["result"] == "done"
    assert str(result["platform_response"]).startswith("answer lost (")
    assert "looked: the member list no longer lists them" in str(result["platform_response"])
    undo = await world.say("alice", world.line("undo"))
    assert world.readded("bob") in undo
    assert world.back("bob")
    assert set(world.changes()) == {"remove bob", "add bob"}


async def test_an_owner_removed_with_a_lost_answer_comes_back_an_owner(world: World) -> None:
    knobs(world, owned=True).lose("remove", "500")
    reply = await world.say("alice", world.line("kick", "carol"))
    assert f"Removed {world.shown['carol']}." in reply
    undo = await world.say("alice", world.line("undo"))
    assert world.readded("carol", owner=True) in undo
    assert world.owners is not None
    assert world.owners() == {"alice", "carol"}


@lost
async def test_a_demotion_whose_answer_is_lost_is_done_and_undone(world: World, how: str) -> None:
    knobs(world, owned=True).lose("demote", how)
    assert world.owners is not None
    reply = await world.say("alice", world.line("demote", "carol"))
    assert f"Demoted {world.shown['carol']} to member." in reply
    assert world.owners() == {"alice"}
    knobs(world).lose("promote", how)
    undo = await world.say("alice", world.line("undo"))
    assert world.repromoted("carol") in undo
    assert world.owners() == {"alice", "carol"}


async def test_a_re_add_whose_answers_are_lost_is_done(world: World) -> None:
    owned = world.owners is not None
    who = "carol" if owned else "bob"
    await world.say("alice", world.line("kick", who))
    knobs(world).lose("add", "reset")
    if owned and world.levels is None:  # else a kicked owner's level stays: no promotion
        knobs(world).lose("promote", "500")
    undo = await world.say("alice", world.line("undo"))
    assert world.readded(who, owner=owned) in undo
    assert "1 done" in undo
    assert world.back(who)
    assert world.owners is None or world.owners() == {"alice", "carol"}


async def test_a_refusal_with_the_member_still_there_is_a_failure(world: World) -> None:
    knobs(world).refuse("remove")
    reply = await world.say("alice", world.line("kick", "bob"))
    assert f"Could not remove {world.shown['bob']}" in reply
    assert "1 failed" in reply
    assert "bob" in world.members()
    (result,) = await world.results(1)
    assert result["result"] == "failed"
    assert world.changes() == ["remove bob"]
