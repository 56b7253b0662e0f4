"""/demote, /help and /undo, the same on every platform (see ``test_contract.py``); the
/demote ones where a room's owners are its own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.platforms import PLUGINS
from tests.contract.test_contract import COMPLIANCE_KICKS
from tests.contract.worlds import Solo, World
from tests.stores import closed


async def test_demoting_both_owners_keeps_one(world: World) -> None:
    world.owned()
    said = ("Demoted {carol} to member.", "{alice} is the last owner")
    await world.play("alice", "demote @carol @alice", *said, changes="demote carol", owners="alice")


async def test_demote_refusals_change_nothing(world: World) -> None:
    world.owned()
    await world.play(
        "alice", "demote @bob", "{bob} is not an owner of this room: nothing to demote."
    )
    await world.play(
        "bob", "demote @carol", "You may not run {c}demote here", owners="alice, carol"
    )


async def test_undo_a_kick_re_adds_and_re_promotes_once(world: World) -> None:
    owned = world.owners is not None
    people = ("bob", "carol") if owned else ("bob", "dave")
    await world.say("alice", world.line("kick", *people))
    assert world.members().isdisjoint(people)
    reply = await world.say("alice", world.line("undo"))
    assert f"{world.command}undo · case 2: undoing case 1: 2 done" in reply
    assert world.readded("bob") in reply
    assert world.readded(people[1], owner=owned) in reply
    assert all(world.back(p) for p in people)
    assert world.owners is None or world.owners() == {"alice", "carol"}
    again = await world.say("alice", world.line("undo", rest="1"))
    assert "Case 1 was already undone by case 2." in again
    assert sorted(world.changes()) == sorted(
        [f"{verb} {p}" for verb in ("remove", "add") for p in people]
        + (["promote carol"] if owned and world.levels is None else [])  # a level stays
    )


async def test_undo_a_demote_once(world: World) -> None:
    world.owned()
    await world.play("alice", "demote @carol", changes="demote carol", owners="alice")
    back = "{repromoted[carol]}"
    await world.play("alice", "undo 1", back, changes="promote carol", owners="alice, carol")
    await world.play(
        "alice", "undo 1", "Case 1 was already undone by case 2.", owners="alice, carol"
    )


NOTHING = "You have no case in this room that can still be undone"


async def test_undo_refusals(world: World) -> None:
    await world.play("alice", "undo", NOTHING)
    await world.play("alice", "help")
    nothing = "Case 2 was {c}help, which changes nothing, so there is nothing to undo."
    await world.play("alice", "undo 2", nothing)
    await world.play("alice", "undo 99", "There is no case 99.")
    await world.play("bob", "undo 1", "You may not run {c}undo here")


async def test_undo_without_a_number_skips_cases_that_changed_nothing(world: World) -> None:
    await world.play("alice", "kick @bob", "Removed {bob}.", changes="remove bob")
    await world.play("alice", "kick @bob", "not a member")
    await world.play("alice", "undo", "undoing case 1: 1 done", changes="add bob")
    await world.play("alice", "undo", NOTHING)


async def test_help_lists_what_the_caller_may_do(world: World) -> None:
    c = world.command
    owner = await world.say("alice", world.line("help"))
    assert "Commands you may use here:" in owner
    assert f"{c}kick @user [@user …] [reason…]" in owner
    assert ("/kick" in owner) == (c == "/")  # what is typed there (Matrix clients take "/")
    assert (f"{c}demote @user [@user …]" in owner) == (world.owners is not None)
    member = (await world.say("bob", world.line("help"))).split("\n", 1)[1]
    assert f"{c}help" in member
    for usage in (f"{c}kick", f"{c}demote", "ib-remove"):
        assert usage not in member
    assert "ib-remove" not in owner  # Symphony's, and only for those the policy names


@pytest.mark.parametrize("policy", [COMPLIANCE_KICKS], ids=["compliance-kicks"])
async def test_an_owner_cannot_undo_a_higher_ranks_kick(world: World) -> None:
    # A co-owner's kick is the same rank's: that one Alice may undo.
    await world.play("carol", "kick @bob", "Removed {bob}.", changes="remove bob")
    await world.play("alice", "undo 1", "{readded[bob]}", changes="add bob")
    await world.play("frank", "kick @dave", "Removed {dave}.", changes="remove dave")
    not_undone = (
        "Not undone for {dave}: {frank} made this change and outranks you (compliance above room"
        " owner); only users named in policy.commands.undo.users may undo a higher rank's change."
    )
    await world.play("alice", "undo 3", not_undone)


NAMED_UNDO = {
    "commands": {
        "kick": {"room_owners": True, "users": ["frank@example.com"]},
        "undo": {"users": ["alice@example.com"]},
    },
    "ranks": [{"name": "compliance", "users": ["frank@example.com"]}],
    "protect_named_users": False,
}
"""As ``COMPLIANCE_KICKS``, and Alice named for /undo."""


@pytest.mark.parametrize("policy", [NAMED_UNDO], ids=["alice-named-for-undo"])
async def test_a_rule_naming_the_caller_lets_them_undo_a_higher_ranks_kick(world: World) -> None:
    await world.play("frank", "kick @bob", "Removed {bob}.", changes="remove bob")
    await world.play("alice", "undo 1", "{readded[bob]}", changes="add bob")


async def test_the_last_owner_is_never_demoted(world: World) -> None:
    world.owned()
    await world.play("alice", "demote @carol", changes="demote carol")
    last = "{alice} is the last owner of this room and cannot be demoted"
    await world.play("alice", "demote @alice", last, owners="alice")


def _solo(world: World) -> Solo:
    if world.solo is None:
        pytest.skip(f"{world}: no second room set up")
    return world.solo


UNDO_ELSEWHERE = {
    "commands": {"undo": {"room_owners": True, "users": ["carol@example.com"]}},
    "protect_named_users": False,
}
"""Carol may undo a case from another room (policy.commands.undo.users); she owns #desk, not
#solo."""


@pytest.mark.parametrize("policy", [UNDO_ELSEWHERE], ids=["carol-undoes-elsewhere"])
async def test_a_kick_in_another_room_is_undone_only_by_an_owner_of_that_room(
    world: World,
) -> None:
    solo = _solo(world)
    assert f"Removed {world.shown['bob']}." in await solo.say("alice", world.line("kick", "bob"))
    undo = await world.say("carol", world.line("undo", rest="1"))
    assert (
        f"Not undone for {world.shown['bob']}: undoing {world.command}kick needs an owner of the"
        " room or a user named in policy.commands.kick.users, as running it would." in undo
    )
    assert "bob" not in solo.members()


OWNERS_UNDO = {"commands": {"undo": {"room_owners": True}}, "owners_may_act_on_owners": True}


@pytest.mark.parametrize("policy", [OWNERS_UNDO], ids=["owners-undo"])
async def test_an_undo_is_never_undone_and_a_case_only_where_it_was(world: World) -> None:
    c = world.command
    await world.say("alice", world.line("kick", "bob"))
    await world.say("alice", world.line("undo", rest="1"))
    assert (
        f"Case 2 is itself an undo, and an undo cannot be undone. To make the change again,"
        f" give the original command again ({c}case 2 shows what it reversed)."
        in await world.say("alice", world.line("undo", rest="2"))
    )
    if world.solo is not None:
        assert (
            "Case 1 happened in another room: undo it there. Only users named in"
            " policy.commands.undo.users may undo a case from another room."
            in await world.solo.say("alice", world.line("undo", rest="1"))
        )


async def test_a_change_this_version_cannot_reverse_is_refused_by_name(
    world: World, tmp_path: Path
) -> None:
    """Undo data written by another version (an operation this one does not know) is refused
    for that person, and nothing is called."""
    await world.play("alice", "kick @bob", "Removed {bob}.", changes="remove bob")
    with sqlite3.connect(tmp_path / "kickbot.db") as db:
        await closed(db, 1)
        db.execute("""UPDATE results SET undo = '{"op": "teleport"}' WHERE command_id = 1""")
    platform = PLUGINS[world.platform.split("-")[0]].display_name
    await world.play(
        "alice",
        "undo 1",
        f"{platform} offers no way for the bot to reverse the change for {{bob}}.",
    )
