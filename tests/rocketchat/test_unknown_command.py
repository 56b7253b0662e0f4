"""A mistyped !command gets the nearest command and !help; another integration's !word does not."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.model import Invocation
from tests.rocketchat.conftest import ALICE, Room


async def test_someone_elses_command_is_not_answered(bot: App, desk: Room) -> None:
    ignored: asyncio.Queue[Invocation] = asyncio.Queue()
    assert bot.dispatcher is not None
    bot.dispatcher.on_ignored.append(ignored.put_nowait)
    delivery = await desk.post(ALICE, "!giphy cats")
    assert delivery.status == 200
    await asyncio.wait_for(ignored.get(), 20)
    reply = await desk.say(ALICE, "@kickbot kcik @bob")  # the next answer is this one's
    assert "`!kcik` is not a command. Did you mean `!kick`?" in reply.msg
