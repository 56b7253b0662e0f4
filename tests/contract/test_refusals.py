"""Callers acting on themselves, and callers the policy denies: the same on every platform
(see ``test_contract.py``)."""

from __future__ import annotations

import pytest

from tests.contract.test_contract import DEFAULTS
from tests.contract.worlds import World

default_policy = pytest.mark.parametrize("policy", [DEFAULTS], ids=["default-policy"])


@default_policy
async def test_kicking_yourself_is_refused_before_any_call(world: World) -> None:
    c = world.command
    reply = await world.say("alice", world.line("kick", "alice", "bob"))
    assert (
        f"{world.shown['alice']}: you cannot remove yourself with {c}kick: you could not undo it"
        " once you are out of the room. To leave, leave the room in your chat client." in reply
    )
    assert f"Removed {world.shown['bob']}." in reply
    also = [world.line("kick", "alice", rest="--dry-run")]
    if world.addresses:
        also.append(world.line("kick", rest="alice@example.com"))
    for line in also:
        assert f"you cannot remove yourself with {c}kick" in await world.say("alice", line)
    assert "alice" in world.members()
    assert world.changes() == ["remove bob"]


@default_policy
async def test_demoting_yourself_is_stepping_down_and_says_what_follows(world: World) -> None:
    if world.owners is None:
        pytest.skip(f"{world}: a room's owners are not its own, so there is no /demote")
    reply = await world.say("carol", world.line("demote", "carol"))
    assert (
        f"Demoted {world.shown['carol']} to member. You stepped down yourself: only an owner of"
        " this room can make you an owner again (or undo this)." in reply
    )
    assert world.owners() == {"alice"}


@default_policy
async def test_an_owner_undoes_their_demotion_of_a_co_owner_by_default(world: World) -> None:
    if world.owners is None:
        pytest.skip(f"{world}: a room's owners are not its own, so there is no /demote")
    assert "Demoted" in await world.say("alice", world.line("demote", "carol"))
    reply = await world.say("alice", world.line("undo", rest="1"))
    assert "same rank" not in reply
    assert world.owners() == {"alice", "carol"}


@pytest.mark.parametrize("policy", [{"deny": ["alice@example.com"]}], ids=["alice-denied"])
async def test_a_denied_caller_causes_no_change(world: World) -> None:
    reply = await world.say("alice", world.line("kick", "dave"))
    assert "You are on this bot's deny list" in reply
    assert "dave" in world.members()
    assert world.changes() == []
