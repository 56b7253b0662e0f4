"""Removal notices and mistyped commands, the same on every platform (see ``test_contract.py``).

How a notice travels and is escaped is each platform's wire (``tests/<platform>/test_notify.py``).
"""

from __future__ import annotations

import pytest

from tests.contract.worlds import World

NOTIFY = {"notify": {"removed_users": True, "contact": "compliance@example.com"}}
NOT_TOLD = "bots cannot send direct messages, so the people removed were not told"
notify = pytest.mark.parametrize("options", [NOTIFY], ids=["notify"])


@notify
async def test_a_removed_person_is_told_why(world: World) -> None:
    reason = "flooding <the> desk & more"
    removed = "Removed {bob} — reason: " + reason
    reply = await world.play("alice", f"kick @bob {reason}", removed, changes="remove bob")
    if world.notices is None:
        assert reply.splitlines()[-1].endswith(f"{NOT_TOLD} (notify.removed_users is on).")
        return
    assert world.notices.opened() == ["bob"]
    assert (await world.notices.next("bob")).splitlines() == [
        f"You were removed from the room {world.room_name} by {world.shown['alice']}.",
        "Reason: flooding <the> desk & more",
        "Questions: contact compliance@example.com.",
    ]


@notify
async def test_each_removed_person_gets_their_own_notice(world: World) -> None:
    reply = await world.say("alice", world.line("kick", "bob", "dave"))
    assert "2 done" in reply
    if world.notices is None:
        assert NOT_TOLD in reply
        return
    assert sorted(world.notices.opened()) == ["bob", "dave"]
    for person in ("bob", "dave"):
        notice = await world.notices.next(person)
        assert notice.startswith(f"You were removed from the room {world.room_name} by ")


@notify
async def test_nobody_removed_nobody_told(world: World) -> None:
    reply = await world.play("alice", "kick @erin", "1 refused")
    assert NOT_TOLD not in reply
    assert world.notices is None or world.notices.opened() == []


@notify
async def test_a_refused_notice_is_said_and_the_removal_counts(world: World) -> None:
    if world.notices is None:
        pytest.skip(f"{world}: a bot cannot message a person")
    world.notices.refuse()
    refused = "Could not send {bob} the removal notice: the platform refused ("
    await world.play("alice", "kick @bob", "1 done", refused, changes="remove bob")


async def test_no_notice_by_default(world: World) -> None:
    reply = await world.play("alice", "kick @bob", "Removed {bob}.", changes="remove bob")
    assert NOT_TOLD not in reply
    assert world.notices is None or world.notices.opened() == []


async def test_a_typo_gets_the_nearest_command_and_help(world: World) -> None:
    c = world.command
    # Typed plainly too where a mistyped command reaches the bot without a mention (not Slack's).
    for say in [world.mentioned] + ([] if world.mention_only else [world.say]):
        reply = await say("alice", f"{c}kik {world.typed['bob']}")
        assert (
            f"{c}kik is not a command. Did you mean {c}kick? {c}help lists the ones you may use."
            in reply
        )
    far = await world.mentioned("alice", f"{c}frobnicate")
    assert f"{c}frobnicate is not a command. {c}help lists the ones you may use." in far
    assert "bob" in world.members()
    assert world.changes() == []


async def test_a_command_after_a_mention_of_the_bot_is_run(world: World) -> None:
    reply = await world.mentioned("alice", world.line("kick", "bob"))
    assert f"Removed {world.shown['bob']}." in reply
    assert world.changes() == ["remove bob"]


OTHERS = ("weather london", "shrug", "mute {bob}", "hello all", "kickban {bob}")
"""Other integrations' commands (and chat) that only start with the bot's command prefix."""


async def test_another_integrations_command_is_not_answered(world: World) -> None:
    if world.post is None or world.mention is None or world.mention_only:
        pytest.skip(f"{world}: only lines said to the bot reach it")
    for chat in [world.command + o.format(bob=world.typed["bob"]) for o in OTHERS] + ["see /kik"]:
        await world.post("alice", chat)  # its answer, if any, would be the next one here
    assert "Commands you may use here" in await world.say("alice", world.line("help"))
    assert "bob" in world.members()
    assert world.changes() == []
