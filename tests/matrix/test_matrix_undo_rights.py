"""!undo on Matrix (real Synapse): between two owners the power levels decide whether one may
undo the other's change, as they decide a kick."""

from __future__ import annotations

from bot.app import App
from tests.matrix.conftest import World


async def test_a_lower_owner_cannot_undo_a_higher_owners_kick(world: World, bot: App) -> None:
    bob = world.bob.user_id
    reply = await world.ask(world.erin, f"!kick {bob}")  # Erin: 100
    assert "Removed Bob." in reply.body
    changes = len(world.proxy.changes())
    undo = await world.ask(world.carol, "!undo 1")  # Carol: 50, an owner too
    assert "undoing case 1: 1 refused" in undo.body
    assert (
        "Not undone for Bob: Erin made this change and ranks above you in that room (the"
        " platform's own order, e.g. Matrix power levels)" in undo.body
    )
    assert len(world.proxy.changes()) == changes
    assert bob not in await world.joined()
    # Erin herself may.
    assert "undoing case 1: 1 done" in (await world.ask(world.erin, "!undo 1")).body
