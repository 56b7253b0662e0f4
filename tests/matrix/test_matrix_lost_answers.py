"""Matrix (real Synapse): a kick, a demotion or an undo whose answer is lost (Synapse acts, the
proxy in front of it answers 500 or resets the connection; kickbot never resends a change) is
reported by what the room shows: done, and undoable."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.app import App
from bot.testing.matrix import ProxiedCall
from tests.matrix.conftest import World

LENIENT = {"owners_may_act_on_owners": True}


def _to(what: str) -> Callable[[ProxiedCall], bool]:
    def match(call: ProxiedCall) -> bool:
        if what == "power":
            return call.method == "PUT" and "/state/m.room.power_levels" in call.path
        return call.method == "POST" and call.path.endswith("/" + what)

    return match


@pytest.fixture
async def bot(world: World) -> App:
    return await world.start_bot(world.settings(policy=LENIENT))


@pytest.mark.parametrize("reset", [False, True], ids=["500", "reset"])
async def test_a_kick_whose_answer_is_lost_is_done_and_undone(
    world: World, bot: App, reset: bool
) -> None:
    bob = world.bob.user_id
    world.proxy.lose_next(_to("kick"), reset=reset)
    reply = await world.ask(world.alice, f"!kick {bob}")
    assert "Removed Bob." in reply.body
    assert "1 done" in reply.body
    assert bob not in await world.joined()
    assert len(world.kicks()) == 1  # never sent twice
    assert bot.store is not None
    (row,) = await bot.store.audit(case=1)
    (result,) = row.results
    assert result["result"] == "done"
    assert "looked: the member list no longer lists them" in str(result["platform_response"])
    world.proxy.lose_next(_to("invite"), reset=not reset)
    undo = await world.ask(world.alice, "!undo")
    assert "undoing case 1: 1 done" in undo.body
    assert "Invited Bob back" in undo.body
    member = await world.hs.state(world.watcher.who, world.ops, "m.room.member", bob)
    assert member["membership"] == "invite"


async def test_a_demotion_whose_answer_is_lost_is_done_and_undone(world: World, bot: App) -> None:
    carol = world.carol.user_id
    world.proxy.lose_next(_to("power"))
    reply = await world.ask(world.alice, f"!demote {carol}")
    assert "Demoted Carol to member." in reply.body
    assert carol not in await world.levels()
    world.proxy.lose_next(_to("power"), reset=True)
    undo = await world.ask(world.alice, "!undo")
    assert "Gave Carol back power level 50." in undo.body
    assert (await world.levels())[carol] == 50
