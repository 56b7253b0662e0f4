"""A plan's time estimate follows Rocket.Chat's published limit, and /kick --external is refused
on a platform that cannot tell who is external."""

from __future__ import annotations

from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, DAVE, DESK, ConfigMaker, Room, start_bot, visible


async def test_the_plan_estimates_at_the_published_limit(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    limits = {"rate_limit_calls": 10, "rate_limit_seconds": 60}  # the server's default
    app = await start_bot(settings_for(limits, bulk={"confirm_above": 1}), server)
    try:
        plan = visible((await Room(server, DESK).say(ALICE, "!kick @bob @dave")).msg)
    finally:
        await app.stop()
    assert "plan: 2 would be done." in plan
    assert "At Rocket.Chat's published limit (one change every 6 s) it will take about 6 s." in plan
    assert server.changing_calls() == []
    assert {BOB, DAVE} <= Room(server, DESK).members


async def test_the_external_filter_is_refused_where_the_platform_cannot_tell(
    server: RocketChatServer, desk: Room
) -> None:
    reply = visible((await desk.say(ALICE, "!kick --external")).msg)
    assert "is not available on Rocket.Chat: it cannot tell who that is." in reply
    assert server.changing_calls() == []
