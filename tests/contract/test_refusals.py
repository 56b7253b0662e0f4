"""Callers acting on themselves, and callers the policy denies: the same on every platform
(see ``test_contract.py``)."""

from __future__ import annotations

import pytest

from tests.contract.test_contract import DEFAULTS
from tests.contract.worlds import World

default_policy = pytest.mark.parametrize("policy", [DEFAULTS], ids=["default-policy"])


@default_policy
async def test_kicking_yourself_is_refused_before_any_call(world: World) -> None:
    yourself = (
        "{alice}: you cannot remove yourself with {c}kick: you could not undo it once you are out"
        " of the room. To leave, leave the room in your chat client."
    )
    await world.play("alice", "kick @alice @bob", yourself, "Removed {bob}.", changes="remove bob")
    also = ["kick @alice --dry-run"] + (["kick alice@example.com"] if world.addresses else [])
    for line in also:
        await world.play("alice", line, "you cannot remove yourself with {c}kick")


@default_policy
async def test_demoting_yourself_is_stepping_down_and_says_what_follows(world: World) -> None:
    world.owned()
    down = (
        "Demoted {carol} to member. You stepped down yourself: only an owner of this room can"
        " make you an owner again (or undo this)."
    )
    await world.play("carol", "demote @carol", down, changes="demote carol", owners="alice")


@default_policy
async def test_an_owner_undoes_their_demotion_of_a_co_owner_by_default(world: World) -> None:
    world.owned()
    await world.play("alice", "demote @carol", "Demoted", changes="demote carol")
    reply = await world.play("alice", "undo 1", changes="promote carol", owners="alice, carol")
    assert "same rank" not in reply


@pytest.mark.parametrize("policy", [{"deny": ["alice@example.com"]}], ids=["alice-denied"])
async def test_a_denied_caller_causes_no_change(world: World) -> None:
    await world.play("alice", "kick @dave", "You are on this bot's deny list")
