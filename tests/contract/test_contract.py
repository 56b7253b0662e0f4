"""What kickbot does the same on every platform, written once and run against each world.

Each scenario was a test per platform (``tests/test_kick.py``, ``tests/slack/test_kick.py``...);
what is about one wire alone (signing, threads, text rendering, errors) stays in its folder.
"""

from __future__ import annotations

import pytest

from tests.contract.worlds import OWN_OWNERS, RANKED, World


async def test_an_owner_kicks_a_member_with_a_reason(world: World) -> None:
    said = ("^{alice} {c}kick · case 1: 1 done", "Removed {bob} — reason: spamming the desk")
    await world.play("alice", "kick @bob spamming the desk", *said, changes="remove bob")


async def test_several_targets_and_an_email(world: World) -> None:
    line = world.line("kick", "bob", rest="dave@globex.example")
    reply = await world.say("alice", line)
    assert f"Removed {world.shown['bob']}." in reply
    if not world.addresses:  # nobody is found by an address there
        assert "No user has the e-mail address dave@globex.example: nothing done." in reply
        assert world.changes() == ["remove bob"]
        return
    assert f"Removed {world.shown['dave']}." in reply
    assert world.members().isdisjoint({"bob", "dave"})
    assert sorted(world.changes()) == ["remove bob", "remove dave"]


async def test_a_member_may_not_kick_and_no_change_is_asked_for(world: World) -> None:
    said = ("You may not run {c}kick here", "owner of this room")
    await world.play("bob", "kick @dave @frank", *said)


async def test_someone_not_in_the_room_is_said_without_a_call(world: World) -> None:
    await world.play("alice", "kick @erin", "{erin} is not a member of this room: nothing to do.")


async def test_a_dry_run_answers_per_target_and_changes_nothing(world: World) -> None:
    said = (
        "dry run, nothing was changed: 1 would be done",
        "Would remove {bob} — reason: off topic",
    )
    await world.play("alice", "kick @bob --dry-run off topic", *said)


async def test_undo_re_adds_the_kicked_member(world: World) -> None:
    await world.play("alice", "kick @bob", changes="remove bob")
    said = ("case 2: undoing case 1: 1 done", "{readded[bob]}")
    await world.play("alice", "undo", *said, changes="add bob")
    await world.play("alice", "undo 1", "Case 1 was already undone by case 2.")


async def test_no_one_named_shows_the_usage(world: World) -> None:
    await world.play("alice", "kick", "Name at least one person.")


async def test_a_typed_name_is_not_a_mention(world: World) -> None:
    if world.at_word_is_an_id:
        pytest.skip("an @word names a person by id there: see test_someone_not_in_the_room")
    said = ("“@Robert” is typed text, not a mention.", "Pick the person from the @-mention list")
    usage = "Usage: {c}kick @user [@user …] [reason…]"
    await world.play("alice", "kick @Robert please", *said, usage)


async def test_an_unknown_address_is_said_without_a_call(world: World) -> None:
    await world.play("alice", "kick nobody@example.com", UNKNOWN)


async def test_the_bot_and_the_people_named_in_the_policy_are_protected(world: World) -> None:
    reply = await world.play("alice", "kick @kickbot @frank", "{kickbot} is protected")
    assert reply.count("is protected") == 2


COMPLIANCE_KICKS = {
    "commands": {"kick": {"room_owners": True, "users": ["frank@example.com"]}},
    "ranks": [{"name": "compliance", "users": ["frank@example.com"]}],
    "protect_named_users": False,
}
"""Frank, named in a rank above room owners, may kick owners and members alike."""


@pytest.mark.parametrize("policy", [COMPLIANCE_KICKS], ids=["compliance-kicks"])
async def test_the_last_owner_is_never_removed(world: World) -> None:
    world.owned()
    said = ("Removed {carol}.", "{alice} is the last owner of this room")
    await world.play("frank", "kick @carol @alice", *said, changes="remove carol", owners="alice")


# Rank: who may act on a co-owner, and a named rank above owners.

DEFAULTS: dict[str, object] = {}
"""No policy at all: each command's own default rule."""


@pytest.mark.parametrize("policy", [DEFAULTS], ids=["default-policy"])
async def test_by_default_an_owner_does_not_kick_a_co_owner(world: World) -> None:
    await world.play("carol", "kick @alice", "{untouched[alice]}")


def owners_on_owners(command: str, may: bool) -> pytest.MarkDecorator:
    """A policy that says whether owners may act on co-owners, the two ways it can: for
    every command, and in ``command``'s rule."""
    rule = {"room_owners": True, "owners_may_act_on_owners": may}
    return pytest.mark.parametrize(
        "policy",
        [{"owners_may_act_on_owners": may}, {"commands": {command: rule}}],
        ids=["policy-wide", "command-rule"],
    )


@owners_on_owners("kick", may=True)
async def test_a_policy_may_let_owners_kick_co_owners(world: World) -> None:
    await world.play("alice", "kick @carol", "Removed {carol}.", changes="remove carol")


@pytest.mark.worlds(*OWN_OWNERS)
@pytest.mark.parametrize("policy", [{"owners_may_act_on_owners": True}], ids=["policy-wide"])
async def test_a_policy_lets_owners_of_every_source_kick_co_owners(world: World) -> None:
    """Each of the platform's own sources of the room-owner rank (``OWN_OWNERS``) as caller
    and as target: the second kind's first on alice, the first kind's first on them, and
    the first kind's second on the first kind's first."""
    (a, a2), (b, _) = OWN_OWNERS[world.platform.split("-")[0]].values()
    assert a2 is not None
    for caller, target in [(b, "alice"), (a, b), (a2, a)]:
        assert f"Removed {world.shown[target]}." in await world.say(
            caller, world.line("kick", target)
        )
    assert world.members().isdisjoint({"alice", a, b})
    assert world.changes() == ["remove alice", f"remove {b}", f"remove {a}"]


@pytest.mark.parametrize("policy", [DEFAULTS], ids=["default-policy"])
async def test_by_default_an_owner_demotes_a_co_owner(world: World) -> None:
    world.owned()
    said = "Demoted {carol} to member."
    await world.play("alice", "demote @carol", said, changes="demote carol", owners="alice")


@owners_on_owners("demote", may=False)
async def test_a_policy_that_says_no_keeps_co_owners(world: World) -> None:
    world.owned()
    if world.levels is not None:
        pytest.skip(f"{world}: power levels decide between owners, not the policy")
    said = (
        "{carol} has the same rank as you (room owner): not touched.",
        "only if policy.owners_may_act_on_owners is true",
    )
    await world.play("alice", "demote @carol", *said, owners="alice, carol")


SENIOR_CAROL = {"ranks": [{"name": "senior", "users": ["carol@example.com"]}]}
"""Carol, an owner, is also named in a rank: named ranks stand above room owners."""


@pytest.mark.parametrize("policy", [SENIOR_CAROL], ids=["senior-carol"])
async def test_a_named_rank_outranks_an_owner(world: World) -> None:
    refused = "{carol} outranks you (senior above room owner): not touched."
    await world.play("alice", "kick @carol", refused)
    if world.owners is not None:
        await world.play("alice", "demote @carol", refused, owners="alice, carol")


def refusal(mine: str, theirs: str) -> str:
    """Why a caller of rank ``mine`` does not touch a target of rank ``theirs``."""
    if mine == theirs:
        return f"has the same rank as you ({theirs}): not touched."
    return f"outranks you ({theirs} above {mine}): not touched."


# The rank matrix: each kind of caller on each kind of target (a second person of their own).
KINDS = {
    "compliance": ("frank", "gina"),
    "admin": ("hugo", "iris"),
    "room owner": ("alice", "carol"),
    "member": ("bob", "mia"),
}
PAIRS = [(c, t) for c in KINDS for t in KINDS]


async def kick_across(world: World, caller: str, target: str, mine: str, theirs: str) -> None:
    """``caller`` of rank ``mine`` kicks ``target`` of rank ``theirs``: done only downwards
    (between owners graded by power level, only to a lower level)."""
    reply = await world.say(caller, world.line("kick", target))
    order = list(KINDS)
    levels = world.levels if mine == theirs == "room owner" else None
    if order.index(mine) < order.index(theirs) or (levels and levels[caller] > levels[target]):
        assert f"Removed {world.shown[target]}." in reply
        assert target not in world.members()
        assert world.changes() == [f"remove {target}"]
    else:
        co_owner = mine == theirs == "room owner"
        why = f"{world.shown[target]} {refusal(mine, theirs)}"
        assert (world.co_owner_untouched(target) if co_owner else why) in reply
        assert target in world.members()
        assert world.changes() == []


@pytest.mark.parametrize("policy", [RANKED], ids=["ranked"])
@pytest.mark.parametrize(("mine", "theirs"), PAIRS, ids=[f"{c}->{t}" for c, t in PAIRS])
async def test_rank_matrix(world: World, mine: str, theirs: str) -> None:
    caller, target = KINDS[mine][0], KINDS[theirs][1 if mine == theirs else 0]
    await kick_across(world, caller, target, mine, theirs)


OWN = ("own owner 1", "own owner 2")
"""A platform's own sources of the room-owner rank (``OWN_OWNERS``), in its world's order."""
SLOTS = [*KINDS, *OWN]
OWN_PAIRS = [(c, t) for c in SLOTS for t in SLOTS if c in OWN or t in OWN]


@pytest.mark.worlds(*OWN_OWNERS)
@pytest.mark.parametrize("policy", [RANKED], ids=["ranked"])
@pytest.mark.parametrize(("mine", "theirs"), OWN_PAIRS, ids=[f"{c}->{t}" for c, t in OWN_PAIRS])
async def test_rank_matrix_with_the_platforms_own_owners(
    world: World, mine: str, theirs: str
) -> None:
    own = OWN_OWNERS[world.platform.split("-")[0]].values()
    kinds = {**KINDS, **dict(zip(OWN, own, strict=True))}
    caller, second = kinds[mine]
    target = kinds[theirs][0] if mine != theirs else second
    if target is None:
        pytest.skip(f"{world}: {mine} is one person")
    rank = {k: "room owner" if k in OWN else k for k in SLOTS}
    await kick_across(world, caller, target, rank[mine], rank[theirs])


UNKNOWN = "No user has the e-mail address nobody@example.com: nothing done."
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_bidi_controls_in_a_reason_are_shown_not_obeyed(world: World) -> None:
    said = ("reason: spamming ⟨U+202E⟩evil⟨U+2069⟩ ⟨U+202A⟩⟨U+202B⟩", "Removed {bob}")
    reply = await world.play(
        "alice", f"kick @bob spamming \u202eevil\u2069 {BIDI}", *said, changes="remove bob"
    )
    assert not set(reply) & set(BIDI)
