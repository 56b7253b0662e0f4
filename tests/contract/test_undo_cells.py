"""/undo's second chances and rights, the same on every platform (see ``test_contract.py``): a
re-add the platform refused can be tried again; an offboarding is undone only by those who could
run it, room by room; a case past the undo window stays as it is."""

from __future__ import annotations

import pytest

from tests.contract.worlds import World


async def test_a_refused_re_add_can_be_undone_again(world: World) -> None:
    """A step that failed with its change known not to be in place gives its claim up (at most
    one undo re-adds: a done one keeps it)."""
    assert world.knobs is not None
    assert world.app is not None
    store = world.app.store
    assert store is not None
    await world.say("alice", world.line("kick", "bob"))
    world.knobs.refuse("add")
    first = await world.say("alice", world.line("undo", rest="1"))
    assert "1 failed" in first, first
    assert not world.back("bob")
    assert await store.undo_claims(1) == {}  # given up with the failure
    second = await world.say("alice", world.line("undo", rest="1"))
    assert world.readded("bob") in second, second
    assert "already undone" not in second
    assert world.back("bob")
    assert list((await store.undo_claims(1)).values()) == [3]  # done: kept
    third = await world.say("alice", world.line("undo", rest="1"))
    assert "Case 1 was already undone by case 3." in third
    assert world.changes() == ["remove bob", "add bob", "add bob"]


@pytest.mark.parametrize(
    "policy", [{"undo_window_minutes": 0, "owners_may_act_on_owners": True}], ids=["no-window"]
)
async def test_a_case_past_the_undo_window_is_not_undone(world: World) -> None:
    await world.say("alice", world.line("kick", "bob"))
    reply = await world.say("alice", world.line("undo", rest="1"))
    assert "Case 1 is past the undo window (0 minutes" in reply, reply
    assert "bob" not in world.members()
    assert world.changes() == ["remove bob"]


def readied(world: World) -> None:
    """The bot readied to list a person's rooms (and a room Bob alone owns, where there is
    one: his offboarding leaves it alone)."""
    if world.nook is not None:
        world.nook()


OFFBOARD_NAMED = {
    "commands": {
        "offboard": {"users": ["frank@example.com"]},
        "undo": {"room_owners": True, "users": ["frank@example.com"]},
    },
    "owners_may_act_on_owners": True,
}
"""Frank alone may offboard; owners may /undo."""


@pytest.mark.parametrize("policy", [OFFBOARD_NAMED], ids=["frank-offboards"])
async def test_an_owner_of_every_room_cannot_undo_an_offboarding(world: World) -> None:
    c, bob = world.command, world.shown["bob"]
    readied(world)
    assert f"Removed {bob} from “{world.room_name}”" in await world.say(
        "frank", world.line("offboard", "bob")
    )
    undo = await world.say("alice", world.line("undo", rest="1"))
    assert "done" not in undo.split("\n", 1)[0], undo
    assert (
        f"Not undone for {bob} in “{world.room_name}”: undoing {c}offboard needs a user named in"
        " policy.commands.offboard.users." in undo
    )
    assert "bob" not in world.members()
    assert not world.back("bob")


OFFBOARD_BY_OWNERS = {
    "commands": {
        "offboard": {"room_owners": True, "users": ["frank@example.com"]},
        "undo": {"room_owners": True},
    },
    "owners_may_act_on_owners": True,
}
"""Room owners may offboard and /undo: each room's step needs an owner of that room."""


@pytest.mark.parametrize("policy", [OFFBOARD_BY_OWNERS], ids=["owners-offboard"])
async def test_an_offboarding_is_undone_only_in_the_rooms_the_caller_owns(world: World) -> None:
    """Carol owns #desk, not #solo: her /undo re-adds Bob to #desk alone."""
    if world.solo is None:
        pytest.skip(f"{world}: no second room set up")
    c, bob = world.command, world.shown["bob"]
    readied(world)
    await world.say("frank", world.line("offboard", "bob"))
    assert "bob" not in world.solo.members()
    undo = await world.say("carol", world.line("undo", rest="1"))
    assert "undoing case 1: 1 done" in undo, undo
    assert world.readded_to("bob", world.room_name) in undo
    assert f"Not undone for {bob} in “" in undo  # #solo, whatever its name
    assert (
        f"undoing {c}offboard needs an owner of the room or a user named in"
        " policy.commands.offboard.users, as running it would." in undo
    )
    assert world.back("bob")
    assert "bob" not in world.solo.members()
