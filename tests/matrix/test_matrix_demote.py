"""!demote: the user's power level goes back to the room default; never the last top holder."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.matrix.conftest import World

# Demoting is always about an owner: by default the core refuses owner-on-owner actions, so these
# rooms run with owners_may_act_on_owners (the power-level rule is then the adapter's check).
LENIENT = {"owners_may_act_on_owners": True}


@pytest.fixture
async def bot(world: World) -> App:
    return await world.start_bot(world.settings(policy=LENIENT))


async def test_the_creator_demotes_a_moderator(world: World, bot: App) -> None:
    reply = await world.ask(world.alice, f"!demote {world.carol.user_id}")
    assert "Demoted Carol to member." in reply.body
    levels = await world.levels()
    assert world.carol.user_id not in levels
    assert levels[world.frank.user_id] == 50
    assert world.proxy.changes() == [
        f"PUT /_matrix/client/v3/rooms/{world.ops}/state/m.room.power_levels -> 200"
    ]
    # Carol is a plain member now: she may no longer kick.
    reply = await world.ask(world.carol, f"!kick {world.bob.user_id}")
    assert "You may not run !kick here" in reply.body


async def test_the_last_member_at_the_top_level_is_never_lowered(world: World, bot: App) -> None:
    """Room "old" (version 10): Alice 75 is the highest person (the bot has 100)."""
    reply = await world.ask(world.alice, f"!demote {world.alice.user_id}", room=world.old)
    assert (
        f"{world.alice.user_id} is the last member with the room's top power level (75)"
        in reply.body
    )
    assert (await world.levels(world.old))[world.alice.user_id] == 75
    assert world.proxy.changes() == []


async def test_a_target_at_the_bots_level_is_refused_before_the_call(
    world: World, bot: App
) -> None:
    reply = await world.ask(world.alice, f"!demote {world.erin.user_id}")
    assert "has power level 100, the same as or above the bot's (100)" in reply.body
    assert (await world.levels())[world.erin.user_id] == 100
    assert world.proxy.changes() == []


async def test_owners_are_ranked_by_power_level(world: World) -> None:
    await world.start_bot()
    reply = await world.ask(world.carol, f"!demote {world.erin.user_id}")
    assert "Erin ranks the same as or above you in this room" in reply.body
    assert world.proxy.changes() == []
