"""!demote and !undo on Matrix (real Synapse): a demotion sets the user's power level back to the
room default, never for the last top holder, and its undo gives back exactly the level it took,
never one above the bot's own; between two owners the power levels decide whether one may undo
the other's change, as they decide a kick."""

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
    await world.ask(world.alice, f"!demote {world.carol.user_id}")  # said: tests/contract
    levels = await world.levels()
    assert world.carol.user_id not in levels
    assert levels[world.frank.user_id] == 50
    assert world.proxy.changes() == [
        f"PUT /_matrix/client/v3/rooms/{world.ops}/state/m.room.power_levels -> 200"
    ]
    # Carol is a plain member now: she may no longer kick.
    reply = await world.ask(world.carol, f"!kick {world.bob.user_id}")
    assert "You may not run !kick here" in reply.body


@pytest.mark.parametrize(
    ("target", "room", "why"),
    [
        # Room "old" (version 10): Alice 75 is the highest person (the bot has 100).
        ("alice", "old", "is the last member with the room's top power level (75)"),
        ("erin", "ops", "has power level 100, the same as or above the bot's (100)"),
    ],
    ids=["last-at-the-top", "at-the-bots-level"],
)
async def test_a_demotion_the_server_would_refuse_is_refused_before_the_call(
    world: World, bot: App, target: str, room: str, why: str
) -> None:
    user_id, room_id = getattr(world, target).user_id, getattr(world, room)
    levels = await world.levels(room_id)
    reply = await world.ask(world.alice, f"!demote {user_id}", room=room_id)
    assert f"{user_id} {why}" in reply.body
    assert await world.levels(room_id) == levels
    assert world.proxy.changes() == []


async def test_owners_are_ranked_by_power_level(world: World) -> None:
    await world.start_bot()
    reply = await world.ask(world.carol, f"!demote {world.erin.user_id}")
    assert "Erin ranks the same as or above you in this room" in reply.body
    assert world.proxy.changes() == []


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
