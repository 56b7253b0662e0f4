"""Rank on Matrix (a real Synapse) when the power levels cannot be read: a rank that cannot be
established refuses, and a failed read never rewrites the levels. Who outranks whom is the
contract table's rank matrix (``tests/contract``), Matrix's world grading owners by level.

The proxy in front of Synapse answers one read of the room's power levels with an error
(``M_UNKNOWN``) instead of passing it on. In the ``ops`` room Alice is the creator and Carol
an owner (50): between them the power levels decide, so grading reads them again.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.app import App
from bot.testing.matrix import ProxiedCall
from tests.matrix.conftest import World


def nth_levels_read(world: World, skip: int = 0) -> Callable[[ProxiedCall], bool]:
    """The ``skip+1``-th read from now of the ``ops`` room's power levels."""
    path = f"/_matrix/client/v3/rooms/{world.ops}/state/m.room.power_levels"
    seen = [0]

    def match(call: ProxiedCall) -> bool:
        if call.method != "GET" or not call.path.startswith(path):
            return False
        seen[0] += 1
        return seen[0] == skip + 1

    return match


def refused(world: World) -> list[str]:
    return [f"{c.method} {c.path}" for c in world.proxy.calls if c.status == 500]


async def test_a_failed_grading_of_one_owner_refuses_that_target_only(
    world: World, bot: App
) -> None:
    # The first power-levels read gives the roles of everyone; the second grades owner against
    # owner (``outranks``) for Carol under Alice: that one fails.
    world.proxy.fail_next(nth_levels_read(world, skip=1), status=500)
    bob, carol = world.bob.user_id, world.carol.user_id
    reply = (await world.ask(world.alice, f"!kick {bob} {carol}")).body
    assert carol in await world.joined()
    assert len(refused(world)) == 1
    assert "Could not establish the rank of Carol" in reply
    assert "Removed Bob." in reply
    assert world.kicks() == [f"POST /_matrix/client/v3/rooms/{world.ops}/kick -> 200"]


async def test_a_failed_power_levels_read_never_rewrites_them(world: World, bot: App) -> None:
    before = await world.hs.power_levels(world.watcher.who, world.ops)
    # Reads of the power levels: the member list's, the grading of owner against owner, then
    # the adapter's own before it writes the new levels: that last one fails.
    world.proxy.fail_next(nth_levels_read(world, skip=2), status=500)
    reply = (await world.ask(world.alice, f"!demote {world.carol.user_id}")).body
    assert len(refused(world)) == 1
    assert "Could not demote Carol" in reply
    assert await world.hs.power_levels(world.watcher.who, world.ops) == before
    assert world.proxy.changes() == []
