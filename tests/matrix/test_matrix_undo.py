"""!undo on Matrix (real Synapse): a kick is undone by an invite (nobody can be made to join),
a demotion by giving back exactly the power level it took; a case is undone once."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.matrix.conftest import World

LENIENT = {"owners_may_act_on_owners": True}


@pytest.fixture
async def bot(world: World) -> App:
    return await world.start_bot(world.settings(policy=LENIENT))


async def test_a_demotion_is_undone_to_the_exact_level(world: World, bot: App) -> None:
    carol = world.carol.user_id
    room = await world.hs.create_room(
        world.alice,
        name="Levels",
        members=[world.bot, world.carol, world.bob, world.watcher.who],
        power={world.bot.user_id: 100, carol: 70},
    )
    reply = await world.ask(world.alice, f"!demote {carol}", room=room)
    assert "Demoted Carol to member." in reply.body
    assert carol not in await world.levels(room)
    reply = await world.ask(world.alice, "!undo", room=room)
    assert "Gave Carol back power level 70." in reply.body
    assert (await world.levels(room))[carol] == 70  # not the kick level (50): exactly hers


async def test_a_level_above_the_bots_own_is_not_given_back(world: World, bot: App) -> None:
    """Dave (90) is demoted by the bot (100); then the creator lowers the bot to 85. The server
    would refuse to set a level above the setter's own: the undo says so and changes nothing."""
    dave, kickbot = world.dave.user_id, world.bot.user_id
    room = await world.hs.create_room(
        world.alice,
        name="Shrinking",
        members=[world.bot, world.dave, world.watcher.who],
        power={kickbot: 100, dave: 90},
    )
    reply = await world.ask(world.alice, f"!demote {dave}", room=room)
    assert "Demoted Dave to member." in reply.body
    levels = await world.hs.power_levels(world.alice, room)
    levels["users"][kickbot] = 85
    levels.setdefault("events", {})["m.room.power_levels"] = 50
    await world.hs.send_state(world.alice, room, "m.room.power_levels", levels)
    changes = len(world.proxy.changes())
    reply = await world.ask(world.alice, "!undo", room=room)
    assert "undoing case 1: 1 failed" in reply.body
    assert f"{dave} had power level 90, above the bot's (85)" in reply.body
    assert dave not in await world.levels(room)
    assert len(world.proxy.changes()) == changes
