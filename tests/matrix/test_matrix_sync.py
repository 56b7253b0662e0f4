"""The /sync position: a first start skips history; a restart neither misses nor replays."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.matrix.conftest import World


def position(world: World) -> dict[str, str]:
    data: dict[str, str] = json.loads(Path(world.section()["sync_token_file"]).read_text())
    return data


async def test_a_first_start_does_not_replay_history(world: World) -> None:
    old = await world.say(world.alice, f"!kick {world.bob.user_id}")
    await world.start_bot()
    assert position(world)["user_id"] == world.bot.user_id
    reply = await world.ask(world.alice, "!help")
    assert "Commands you may use here" in reply.body
    assert world.watcher.replies_to(old) == []
    assert world.bob.user_id in await world.joined()
    assert world.proxy.changes() == []


async def test_a_restart_between_two_commands_neither_misses_nor_replays(world: World) -> None:
    app = await world.start_bot()
    first = await world.say(world.alice, f"!kick {world.bob.user_id}")
    assert "Removed Bob." in (await world.watcher.reply_to(first)).body
    await world.stop_bot(app)

    second = await world.say(world.alice, f"!kick {world.dave.user_id}")  # while kickbot is down
    await world.start_bot()
    assert "Removed Dave." in (await world.watcher.reply_to(second)).body
    third = await world.ask(world.alice, "!help")
    assert "Commands you may use here" in third.body
    assert len(world.watcher.replies_to(first)) == 1
    assert len(world.watcher.replies_to(second)) == 1
    assert world.kicks() == [
        f"POST /_matrix/client/v3/rooms/{world.ops}/kick -> 200",
        f"POST /_matrix/client/v3/rooms/{world.ops}/kick -> 200",
    ]
    assert not {world.bob.user_id, world.dave.user_id} & await world.joined()


async def test_more_messages_than_the_timeline_limit_while_down_are_all_seen(
    world: World,
) -> None:
    settings = world.settings(world.section(timeline_limit=2))
    app = await world.start_bot(settings)
    await world.stop_bot(app)
    commands = [
        await world.say(world.alice, f"!kick {world.bob.user_id}"),
        await world.say(world.dave, "hello all"),
        await world.say(world.alice, f"!kick {world.dave.user_id}", room=world.ops),
        await world.say(world.bob, "(bob again)", room=world.old),
        await world.say(world.alice, "!help"),
        await world.say(world.carol, "chatter 1"),
        await world.say(world.carol, "chatter 2"),
    ]
    await world.start_bot(settings)
    replies = [await world.watcher.reply_to(commands[i]) for i in (0, 2, 4)]
    assert "Removed Bob." in replies[0].body
    assert "Removed Dave." in replies[1].body
    assert "Commands you may use here" in replies[2].body
    assert len(world.kicks()) == 2
    gap = [c for c in world.proxy.calls if c.path.endswith("/messages")]
    assert gap, "the limited timeline was filled in from /messages"


async def test_a_batch_seen_again_after_a_crash_is_not_acted_on_twice(world: World) -> None:
    app = await world.start_bot()
    saved = Path(world.tmp / "position-before.json")
    shutil.copy(world.section()["sync_token_file"], saved)
    cmd = await world.say(world.alice, f"!kick {world.bob.user_id}")
    assert "Removed Bob." in (await world.watcher.reply_to(cmd)).body
    await world.stop_bot(app)
    # As if kickbot died after recording the command but before saving the new position.
    shutil.copy(saved, world.section()["sync_token_file"])
    await world.start_bot()
    assert "Commands you may use here" in (await world.ask(world.alice, "!help")).body
    assert len(world.watcher.replies_to(cmd)) == 1
    assert len(world.kicks()) == 1


async def test_the_bot_joins_a_room_it_is_invited_to_and_serves_it(world: World) -> None:
    await world.start_bot()
    room = await world.hs.create_room(
        world.carol, name="New", members=[world.bob, world.watcher.who]
    )
    await world.hs.invite(world.carol, room, world.bot.user_id)
    await world.proxy.wait_for_recorded(
        lambda c: c.path.endswith(f"/join/{room}") and c.status == 200
    )
    reply = await world.ask(world.carol, "!help", room=room)
    assert "Commands you may use here" in reply.body
