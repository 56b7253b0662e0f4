"""/offboard on Rocket.Chat: the rooms the bot has joined (``rooms.get``) where the person is a
member (the outcome in each room, the last owner kept: tests/contract/test_offboard.py); an
archived room is skipped, one without the bot is not listed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.testing.rocketchat.server import RocketChatServer
from tests.kit import running
from tests.rocketchat.conftest import (
    BOB,
    BOT,
    DESK,
    FRANK,
    SOLO,
    TOWN,
    ConfigMaker,
    Room,
    start_bot,
)

OLD = "R-old-archived"
HIDDEN = "R-hidden-private"  # the bot is not in it


@pytest.fixture
async def offboarding(server: RocketChatServer, settings_for: ConfigMaker) -> AsyncIterator[App]:
    server.add_room(OLD, "old", "p", owners=[FRANK], members=[BOT, BOB], archived=True)
    server.add_room(HIDDEN, "hidden", "p", owners=[FRANK], members=[BOB])
    policy = {"commands": {"offboard": {"users": [FRANK]}}}
    async with running(start_bot(settings_for(policy=policy), server)) as app:
        yield app


async def test_offboarding_on_rocketchat(server: RocketChatServer, offboarding: App) -> None:
    text = (await Room(server, DESK).say(FRANK, "!offboard @bob left the team")).msg
    assert "offboarding @bob from 4 rooms: 3 done, 1 refused." in text, text
    for name in ("desk", "town", "solo"):
        assert f"Removed @bob from “{name}” — reason: left the team" in text
    assert "Skipped “old”: the room is deactivated" in text
    assert "hidden" not in text  # the bot is not there
    for room in (DESK, TOWN, SOLO):
        assert BOB not in server.room(room).members
    for room in (OLD, HIDDEN):
        assert BOB in server.room(room).members
    assert len(server.calls("rooms.get")) == 2  # the rehearsal, then the run
