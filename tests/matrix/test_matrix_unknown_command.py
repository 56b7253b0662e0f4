"""A mistyped !command gets the nearest command and !help, through a real Synapse."""

from __future__ import annotations

from bot.app import App
from tests.matrix.conftest import World


async def test_a_typo_gets_the_nearest_command_and_help(world: World, bot: App) -> None:
    reply = await world.ask(world.alice, f"!kik {world.bob.user_id}")
    assert "!kik is not a command. Did you mean !kick? !help lists the ones you may use." in (
        reply.body
    )
    assert world.bob.user_id in await world.joined()
    assert world.proxy.changes() == []
