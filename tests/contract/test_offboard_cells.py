"""/offboard at a later time, the same on every platform (see ``test_contract.py``): scheduled,
listed by /jobs, dropped by /cancel, nothing changed."""

from __future__ import annotations

import pytest

from tests.contract.worlds import World

FRANK_OFFBOARDS = {"commands": {"offboard": {"users": ["frank@example.com"]}}}


@pytest.mark.parametrize("policy", [FRANK_OFFBOARDS], ids=["frank-offboards"])
async def test_an_offboarding_can_be_scheduled_and_cancelled(world: World) -> None:
    c = world.command
    if world.nook is not None:
        world.nook()  # the bot readied to list Bob's rooms
    reply = await world.say("frank", world.line("offboard", "bob", rest="--at 23:59 leaving"))
    assert f"{world.shown['frank']} {c}offboard · case 1: scheduled: it runs at " in reply, reply
    assert f"To drop it, answer {c}cancel 1" in reply
    listing = await world.say("alice", world.line("jobs"))
    assert f"• case 1 {c}offboard by " in listing, listing
    assert ": scheduled for" in listing
    cancelled = await world.say("frank", world.line("cancel", rest="1"))
    assert f"Cancelled case 1 ({c}offboard)" in cancelled
    assert "bob" in world.members()
    assert world.changes() == []
