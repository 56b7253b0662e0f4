"""Matrix (real Synapse): a change whose answer is lost (Synapse acts, the proxy in front of it
answers 500 or resets the connection) is never sent again: kickbot looks at the room instead.
What is then reported and undone is the contract table's (``tests/contract``)."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.testing.matrix import ProxiedCall
from tests.matrix.conftest import World


def invite(call: ProxiedCall) -> bool:
    return call.method == "POST" and call.path.endswith("/invite")


@pytest.mark.parametrize("reset", [False, True], ids=["500", "reset"])
async def test_a_kick_and_its_undo_whose_answers_are_lost_are_sent_once(
    world: World, bot: App, reset: bool
) -> None:
    world.proxy.lose_next(lambda c: c.method == "POST" and c.path.endswith("/kick"), reset=reset)
    assert "Removed Bob." in (await world.ask(world.alice, f"!kick {world.bob.user_id}")).body
    world.proxy.lose_next(invite, reset=not reset)
    assert "Invited Bob back" in (await world.ask(world.alice, "!undo")).body
    assert [c.split(" ")[1].rsplit("/", 1)[1] for c in world.proxy.changes()] == [
        "kick",
        "invite",
    ]
