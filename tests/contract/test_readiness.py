"""Readiness (``GET /readyz``'s check) on every platform that reports its connection: ready,
not ready while the platform's server is down (naming it), ready again once it is back."""

from __future__ import annotations

import asyncio

import pytest

from bot.ops.readiness import Readiness, ReadinessCheck
from bot.platform import ReportsConnection
from tests.contract.worlds import World


async def settled(check: ReadinessCheck, ready: bool, within: float = 60) -> Readiness:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (found := await check.check()).ready != ready:
        if loop.time() > deadline:
            raise TimeoutError(f"readiness stayed {found.text()!r}")
        await asyncio.sleep(0.2)
    return found


async def test_readiness_follows_the_platform_going_away_and_back(world: World) -> None:
    assert world.app is not None
    platform = world.app.platforms[world.app.settings.enabled_platforms()[0]]
    if world.server is None or not isinstance(platform, ReportsConnection):
        pytest.skip(f"{world.platform}: no connection of its own to report (ready once started)")
    check = ReadinessCheck(world.app, timeout=3, reuse_seconds=0)
    assert (await settled(check, True)).text() == "ready\n"
    await world.server.stop()
    down = await settled(check, False)
    assert list(down.problems) == [platform.name], down.problems
    await world.server.start()
    await settled(check, True)
