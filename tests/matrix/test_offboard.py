"""!offboard on Matrix (real Synapse): the rooms the bot has joined where the person has joined
too; each room's owners graded by power level; !undo invites them back everywhere."""

from __future__ import annotations

from bot.app import App
from tests.matrix.conftest import World


async def test_offboarding_on_matrix_then_undo(world: World) -> None:
    bob, frank = world.bob.user_id, world.frank.user_id
    den = await world.hs.create_room(
        world.bot,
        name="Den",
        version="10",
        members=[world.bob, world.watcher.who],
        power={world.bot.user_id: 100, bob: 100},  # Bob is its only owner
    )
    policy = {"commands": {"offboard": {"users": [frank]}, "undo": {"users": [frank]}}}
    app: App = await world.start_bot(world.settings(policy=policy))
    assert app.dispatcher is not None

    reply = await world.ask(world.frank, f"!offboard {bob} gone")
    text = reply.body
    assert "offboarding Bob from 3 rooms: 2 done, 1 refused." in text, text
    assert "Removed Bob from “Ops” — reason: gone" in text
    assert "Removed Bob from “Old” — reason: gone" in text
    assert "Refused in “Den”: Bob is its last owner" in text
    assert bob not in await world.joined()
    assert bob not in await world.joined(world.old)
    assert bob in await world.joined(den)
    assert len(world.kicks()) == 2

    undo = await world.ask(world.frank, "!undo")
    assert "undoing case 1: 2 done" in undo.body, undo.body
    assert "Invited Bob back to “Ops” (they are back once they accept)." in undo.body
    assert "Invited Bob back to “Old” (they are back once they accept)." in undo.body
    for room in (world.ops, world.old):
        member = await world.hs.state(world.watcher.who, room, "m.room.member", bob)
        assert member["membership"] == "invite"
