"""/offboard, the same on every platform (see ``test_contract.py``): one person out of every room
the bot can act in, each room's last owner kept, /undo bringing them back. How a platform lists
a person's rooms, and its rooms the bot cannot act in, are its wire (``tests/<platform>/``).
"""

from __future__ import annotations

import pytest

from tests.contract.test_contract import UNKNOWN
from tests.contract.worlds import World

OFFBOARD = {
    "commands": {
        "offboard": {"users": ["frank@example.com"]},
        "undo": {"users": ["frank@example.com"]},
    },
}
offboard = pytest.mark.parametrize("policy", [OFFBOARD], ids=["frank-offboards"])


@pytest.fixture
def nook(world: World) -> str | None:
    """The name of a room whose only owner is bob, where rooms have owners of their own."""
    return world.nook() if world.nook is not None else None


@offboard
async def test_offboarding_then_undo(world: World, nook: str | None) -> None:
    bob = world.shown["bob"]
    reply = await world.say("frank", world.line("offboard", "bob", rest="moved on"))
    assert f"{world.command}offboard · case 1: offboarding {bob} from " in reply, reply
    assert f"Removed {bob} from “{world.room_name}” — reason: moved on" in reply
    if nook is not None:
        assert f"Refused in “{nook}”: {bob} is its last owner" in reply
    assert "bob" not in world.members()
    undo = await world.say("frank", world.line("undo"))
    assert "undoing case 1: " in undo, undo
    assert world.readded_to("bob", world.room_name) in undo
    assert world.back("bob")


@offboard
async def test_a_dry_run_shows_each_room_and_changes_nothing(
    world: World, nook: str | None
) -> None:
    reply = await world.say("frank", world.line("offboard", "bob", rest="--dry-run"))
    assert "dry run, nothing was changed: " in reply, reply
    assert f"Would remove {world.shown['bob']} from “{world.room_name}”." in reply
    if nook is not None:
        assert f"Would refuse: Refused in “{nook}”" in reply
    assert "bob" in world.members()
    assert world.changes() == []


@offboard
async def test_only_callers_the_policy_names_may_offboard(world: World, nook: str | None) -> None:
    refused = (
        "You may not run {c}offboard: only users named in policy.commands.offboard.users may, and"
        " you are not named there."
    )
    await world.play("alice", "offboard @bob", refused)  # an owner: not enough


@pytest.mark.parametrize("policy", [{**OFFBOARD, "protect_named_users": False}], ids=["open"])
async def test_bad_requests_are_refused_and_change_nothing(world: World, nook: str | None) -> None:
    """Callers named in the policy are protected by default; here they are not, so the
    handler's own guard against offboarding oneself is what answers."""
    several = (
        "{c}offboard takes exactly one person and you named 2: offboard them one at a time."
        " Nothing was changed."
    )
    await world.play("frank", "offboard @bob @dave", several)
    await world.play(
        "frank", "offboard @frank", "You cannot offboard yourself. Nothing was changed."
    )
    await world.play("frank", "offboard nobody@example.com", UNKNOWN)
    nowhere = "offboarding {erin}: not in any room the bot can act in; nothing to do."
    await world.play("frank", "offboard @erin", nowhere)


@offboard
async def test_a_removal_whose_answer_is_lost_is_done_and_undone(
    world: World, nook: str | None
) -> None:
    assert world.knobs is not None
    world.knobs.lose("remove", "500")
    reply = await world.say("frank", world.line("offboard", "bob"))
    assert f"Removed {world.shown['bob']} from “{world.room_name}”." in reply, reply
    assert "bob" not in world.members()
    lost = [r for r in await world.results(1) if "answer lost (" in str(r["platform_response"])]
    assert [r["result"] for r in lost] == ["done"], lost
    undo = await world.say("frank", world.line("undo"))
    assert world.readded_to("bob", world.room_name) in undo
    assert world.back("bob")
