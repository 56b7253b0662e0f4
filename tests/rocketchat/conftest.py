"""Fixtures: an emulated Rocket.Chat server on loopback and the real bot connected to it.

Tests talk to the bot as Rocket.Chat does: a person writes in a room, the outgoing webhook
integration POSTs the message to the bot; tests read the bot's reply in the room's thread and the
room's membership from the double, which checks every REST call against the official specs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.platforms.rocketchat.adapter import RocketChatPlatform
from bot.settings import Settings
from bot.testing.rocketchat.server import Delivery, RocketChatServer
from bot.testing.rocketchat.state import RcMessage
from tests.kit import ConfigMaker as ConfigMaker
from tests.kit import checked, room_fixture, running, settings

BOT = "kickbot-id"
ALICE = "u-alice"  # owner of desk, town and solo
BOB = "u-bob"  # plain member
CAROL = "u-carol"  # owner of desk
DAVE = "u-dave"  # moderator of desk
ERIN = "u-erin"  # in none of the rooms
FRANK = "u-frank"  # compliance: named in the policy by id
GRACE = "u-grace"  # global admin, no room role
DESK = "R-desk-private"  # private group
TOWN = "R-town-public"  # public channel
SOLO = "R-solo-private"  # one human owner

POLICY: dict[str, Any] = {
    "commands": {"kick": {"room_owners": True, "users": [FRANK]}},
    "ranks": [{"name": "compliance", "users": [FRANK]}],
    "owners_may_act_on_owners": True,  # the tests act on co-owners (the last-owner rules)
}


def make_server(*, bot_roles: tuple[str, ...] = ("bot", "admin")) -> RocketChatServer:
    server = RocketChatServer(bot_user_id=BOT, bot_username="kickbot", bot_roles=bot_roles)
    server.add_user(ALICE, "alice", name="Alice Owner", email="alice@example.com")
    server.add_user(BOB, "bob", name="Bob Member", email="bob@example.com")
    server.add_user(CAROL, "carol", name="Carol Owner", email="carol@example.com")
    server.add_user(DAVE, "dave", name="Dave Moderator", email="dave@globex.example")
    server.add_user(ERIN, "erin", name="Erin Elsewhere", email="erin@example.com")
    server.add_user(FRANK, "frank", name="Frank Compliance", email="frank@example.com")
    server.add_user(GRACE, "grace", name="Grace Admin", roles=("user", "admin"))
    server.add_room(
        DESK, "desk", "p", owners=[ALICE, CAROL], moderators=[DAVE], members=[BOT, BOB, FRANK]
    )
    server.add_room(TOWN, "town", "c", owners=[ALICE], members=[BOT, BOB, CAROL, GRACE])
    server.add_room(SOLO, "solo", "p", owners=[ALICE], members=[BOT, BOB])
    return server


@pytest.fixture
async def server() -> AsyncIterator[RocketChatServer]:
    async with checked(make_server()) as s:
        yield s


def settings_maker(server: RocketChatServer, tmp_path: Path) -> ConfigMaker:
    """Settings for kickbot against ``server``: ``section`` overrides ``rocketchat:`` keys."""

    def make(section: dict[str, Any] | None = None, **overrides: Any) -> Settings:
        config = server.bot_config(**(section or {}))
        return settings(tmp_path, "rocketchat", config, POLICY, **overrides)

    return make


@pytest.fixture
def settings_for(server: RocketChatServer, tmp_path: Path) -> ConfigMaker:
    return settings_maker(server, tmp_path)


async def start_bot(settings: Settings, server: RocketChatServer) -> App:
    assert settings.rocketchat is not None
    platform = RocketChatPlatform(settings.rocketchat)
    app = App(settings, {"rocketchat": platform})
    await app.start()
    server.connect(platform.webhook_url)
    return app


@pytest.fixture
async def bot(settings_for: ConfigMaker, server: RocketChatServer) -> AsyncIterator[App]:
    async with running(start_bot(settings_for(), server)) as app:
        yield app


def platform_of(app: App) -> RocketChatPlatform:
    platform = app.platforms["rocketchat"]
    assert isinstance(platform, RocketChatPlatform)
    return platform


class Room:
    """Write in a room of the server as a person; read the bot's answer in the thread."""

    def __init__(self, server: RocketChatServer, room_id: str):
        self.server = server
        self.id = room_id

    async def say(self, user: str, text: str, *, tmid: str | None = None) -> RcMessage:
        delivery = await self.post(user, text, tmid=tmid)
        assert delivery.status == 200, delivery
        return await self.server.next_message(self.id, timeout=20.0)

    async def post(self, user: str, text: str, *, tmid: str | None = None) -> Delivery:
        return await self.server.say(user, self.id, text, tmid=tmid)

    @property
    def members(self) -> set[str]:
        return set(self.server.room(self.id).members)

    @property
    def owners(self) -> set[str]:
        return self.server.room(self.id).owners


desk = room_fixture("server", Room, DESK)
town = room_fixture("server", Room, TOWN)
solo = room_fixture("server", Room, SOLO)


def visible(text: str) -> str:
    """What a person reads: zero-width spaces are invisible, look-alikes read as the original."""
    lookalikes = {"\u2217": "*", "\u02cd": "_", "\u223c": "~", "\u02cb": "`"}
    return "".join(lookalikes.get(ch, ch) for ch in text.replace("\u200b", ""))
