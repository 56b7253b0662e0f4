"""A look-up the bot makes before acting that fails: the room's (who is in it, in what role)
refuses the whole command; one target's rank refuses that target only (in an undo, that step).
The same on every platform; each world says which of its double's calls that is
(``Knobs.fail_room``, ``Knobs.fail_rank``)."""

from __future__ import annotations

from tests.contract.worlds import World

UNCHECKED = "Could not check the room before acting, so nothing was changed"


async def test_a_failed_room_lookup_refuses_the_whole_command(world: World) -> None:
    shown = world.failing_room()
    await world.play("alice", "kick @bob @carol", UNCHECKED, shown)
    await world.play("alice", "kick @bob", "Removed {bob}.", changes="remove bob")


async def test_a_failed_rank_lookup_refuses_that_target_only(world: World) -> None:
    shown = world.failing_rank("bob")
    untouched = "Could not establish the rank of {bob}, so they were not touched"
    reply = await world.play(
        "alice", "kick @bob @dave", untouched, "Removed {dave}.", changes="remove dave"
    )
    assert shown in reply


async def test_an_undo_step_whose_rank_cannot_be_established_is_refused(world: World) -> None:
    await world.play("carol", "kick @bob", "Removed {bob}.", changes="remove bob")
    shown = world.failing_rank("bob")
    refused = "Not undone for {bob}: Could not establish the rank of {bob}"
    reply = await world.play("alice", "undo 1", "undoing case 1: 1 refused", refused)
    assert shown in reply
