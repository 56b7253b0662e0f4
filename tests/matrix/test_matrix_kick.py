"""!kick on Matrix's wire, against a real Synapse: /sync -> kickbot -> POST /kick -> reply in the
thread, in text and HTML; what Synapse itself refuses, checked before any call."""

from __future__ import annotations

import pytest

from bot import errors
from bot.app import App
from bot.model import RoomRef, UserRef
from bot.platforms.matrix.adapter import MatrixPlatform
from tests.matrix.conftest import World


def head(body: str) -> str:
    return body.splitlines()[0]


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_owner_kicks_with_reason_and_the_reply_is_in_the_thread(
    world: World, bot: App
) -> None:
    bob = world.bob
    reason = f"spamming <b>x</b> \u202eevil\u2069 {BIDI}"
    cmd = await world.say(
        world.alice,
        f"!kick {bob.display_name} {reason}",
        html=f"!kick {bob.pill} {reason.replace('<', '&lt;').replace('>', '&gt;')}",
    )
    reply = await world.watcher.reply_to(cmd)
    assert reply.sender == world.bot.user_id
    assert reply.content["msgtype"] == "m.notice"
    assert reply.relates_to["rel_type"] == "m.thread"
    assert reply.relates_to["event_id"] == cmd
    assert head(reply.body).startswith("Alice !kick")
    assert head(reply.body).endswith("1 done")
    assert "Removed Bob — reason: spamming <b>x</b>" in reply.body
    assert "spamming &lt;b&gt;x&lt;/b&gt;" in reply.html
    assert "<b>" not in reply.html
    for sent in (reply.body, reply.html):  # bidirectional controls are shown, not obeyed
        assert not set(sent) & set(BIDI), sent
        assert "x</b> ⟨U+202E⟩evil⟨U+2069⟩ ⟨U+202A⟩⟨U+202B⟩" in sent.replace("&lt;/b&gt;", "</b>")
    assert f'<a href="https://matrix.to/#/{world.alice.user_id}">Alice</a>' in reply.html
    assert reply.content["m.mentions"]["user_ids"] == [world.alice.user_id, bob.user_id]
    assert world.proxy.changes() == [f"POST /_matrix/client/v3/rooms/{world.ops}/kick -> 200"]
    member = await world.hs.state(world.watcher.who, world.ops, "m.room.member", bob.user_id)
    assert member["membership"] == "leave"
    assert member.get("reason") == reason  # the reason reaches the server


async def test_the_bot_addressed_by_name_and_a_user_id_typed_in_full(
    world: World, bot: App
) -> None:
    """Addressed by its user id: tests/contract (test_a_command_after_a_mention_...)."""
    reply = await world.ask(world.alice, f"kickbot: kick {world.dave.user_id}")
    assert "Removed Dave." in reply.body
    assert world.dave.user_id not in await world.joined()


async def test_an_equal_power_level_is_refused_before_any_call(world: World, bot: App) -> None:
    reply = await world.ask(world.carol, f"!kick {world.frank.user_id}")
    assert "Frank ranks the same as or above you in this room" in reply.body
    assert world.proxy.changes() == []


async def test_a_target_at_or_above_the_bots_level_is_refused_before_the_call(
    world: World,
) -> None:
    await world.start_bot(world.settings(policy={"owners_may_act_on_owners": True}))
    # alice (the creator) outranks erin, but erin's level is the bot's own: the server would
    # refuse, so the adapter refuses before the call.
    reply = await world.ask(world.alice, f"!kick {world.erin.user_id}")
    assert head(reply.body).endswith("1 refused")  # not a failed call: none was made
    assert (
        f"Erin was not touched: {world.erin.user_id} has power level 100, the same as or above"
        " the bot's (100) (the platform's own rule, checked before any call)." in reply.body
    )
    assert "403" not in reply.body
    # carol (50) does not outrank erin (100) or alice (the creator): the core refuses first.
    reply = await world.ask(world.carol, f"!kick {world.erin.user_id} {world.alice.user_id}")
    assert head(reply.body).endswith("2 refused")
    assert reply.body.count("ranks the same as or above you in this room") == 2
    assert {world.erin.user_id, world.alice.user_id} <= await world.joined()
    assert world.proxy.changes() == []


async def test_the_creator_is_refused_by_the_servers_rule_before_any_call(world: World) -> None:
    # Erin holds a rank the policy puts above room owners, so kickbot's own ranks let her act on
    # Alice; the server's rule (the creator's power is unlimited) is checked before any call.
    ranks = [{"name": "security", "users": [world.erin.user_id]}]
    await world.start_bot(world.settings(policy={"ranks": ranks}))
    reply = await world.ask(world.erin, f"!kick {world.alice.user_id}")
    assert head(reply.body).endswith("1 refused")
    assert (
        f"Alice was not touched: {world.alice.user_id} created this room (room version 12):"
        " creators have unlimited power and nobody can kick them (the platform's own rule,"
        " checked before any call)." in reply.body
    )
    assert "403" not in reply.body
    assert "failed" not in reply.body
    assert world.alice.user_id in await world.joined()
    assert world.proxy.changes() == []


async def test_a_command_in_a_thread_is_answered_in_that_thread(world: World, bot: App) -> None:
    root = await world.say(world.alice, "who keeps posting links?")
    cmd = await world.say(world.alice, f"!kick {world.bob.user_id}", thread=root)
    reply = await world.watcher.reply_to(cmd)
    assert reply.relates_to["rel_type"] == "m.thread"
    assert reply.relates_to["event_id"] == root
    assert "Removed Bob." in reply.body


async def test_notices_edits_and_the_bots_own_messages_are_not_commands(
    world: World, bot: App
) -> None:
    bob = world.bob.user_id
    await world.say(world.alice, f"!kick {bob}", msgtype="m.notice")
    original = await world.say(world.alice, "typo")
    await world.hs.send(
        world.alice,
        world.ops,
        "m.room.message",
        {
            "msgtype": "m.text",
            "body": f"* !kick {bob}",
            "m.new_content": {"msgtype": "m.text", "body": f"!kick {bob}"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": original},
        },
    )
    await world.hs.say(world.bot, world.ops, f"!kick {bob}")  # as if the bot said it
    reply = await world.ask(world.alice, "!help")
    assert "Commands you may use here" in reply.body
    assert bob in await world.joined()
    assert world.proxy.changes() == []
    assert len(world.watcher.from_user(world.bot.user_id)) == 2  # its own message + the help


async def test_the_adapter_checks_the_callers_rank_and_passes_the_reason(world: World) -> None:
    """The core does not pass the caller or reason yet; the adapter takes both (see report)."""
    platform = MatrixPlatform(world.section())

    async def sink(_: object) -> None:
        return None

    await platform.start(sink)
    w = world
    people = (w.alice, w.bob, w.carol, w.dave, w.erin, w.frank, w.bot)
    alice, bob, carol, dave, erin, frank, kickbot = (UserRef(a.user_id) for a in people)
    room = RoomRef(world.ops)
    try:
        with pytest.raises(errors.Forbidden) as err:
            await platform.remove_member(room, frank, caller=carol)
        assert err.value.detail == f"{frank.id} has power level 50, the same as or above yours (50)"
        with pytest.raises(errors.Forbidden) as err:
            await platform.remove_member(room, dave, caller=bob)
        assert "power level 0, below the 50 needed to kick" in err.value.detail
        assert world.proxy.changes() == []
        assert await platform.outranks(room, alice, kickbot)
        assert not await platform.outranks(room, carol, frank)
        assert await platform.power_level(room, erin) == 100
        said = await platform.remove_member(room, bob, "spamming", caller=carol)
        assert said == f"200 kicked {bob.id} (reason: spamming)"
        member = await world.hs.state(world.watcher.who, world.ops, "m.room.member", bob.id)
        assert member == {"membership": "leave", "reason": "spamming"}
    finally:
        await platform.stop()
        await platform.close()
