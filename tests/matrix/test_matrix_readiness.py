"""Matrix reports its connection (``ReportsConnection``, for ``GET /readyz``): the homeserver
going away and coming back (the proxy in front of Synapse stopped and started again)."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.platform import ReportsConnection
from tests.matrix.conftest import World


async def problem_becomes(platform: ReportsConnection, present: bool) -> str | None:
    for _ in range(300):
        found = await platform.connection_problem()
        if (found is not None) == present:
            return found
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the connection problem stayed {found!r}")


async def test_matrix_reports_the_homeserver_going_away_and_back(world: World, bot: App) -> None:
    platform = bot.platforms["matrix"]
    assert isinstance(platform, ReportsConnection)
    assert await problem_becomes(platform, False) is None
    await world.proxy.stop()
    down = await problem_becomes(platform, True)
    assert down is not None
    assert "homeserver" in down
    await world.proxy.start()
    assert await problem_becomes(platform, False) is None
