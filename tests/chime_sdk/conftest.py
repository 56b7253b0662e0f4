"""Fixtures: a Chime SDK messaging double (both models checked, SigV4 verified) and the real bot.

Tests talk to the bot as a channel's members do: a person posts a message in a channel (stored
in the double), the double publishes it on the messaging session where the bot hears it as a
``CREATE_CHANNEL_MESSAGE``, and the test reads the message the bot sent back with
``SendChannelMessage``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.platforms.chime_sdk.adapter import ChimeSdkPlatform
from bot.settings import Settings
from bot.testing.chime_sdk.demo import readable
from bot.testing.chime_sdk.double import ChimeSdkDouble
from tests.kit import ConfigMaker as ConfigMaker
from tests.kit import aws_double, settings

PEOPLE = {
    "alice": "Alice Moderator",  # moderator of DESK and SOLO
    "bob": "Bob Member",
    "carol": "Carol Moderator",  # moderator of DESK
    "dave": "Dave Member",
    "erin": "Erin Elsewhere",  # in no channel
    "frank": "Frank Admin",  # an AppInstanceAdmin, a member of DESK
}


EMAIL = {
    "alice": "alice@example.com",
    "bob": "bob@example.com",
    "carol": "carol@example.com",
    "dave": "dave@globex.example",
    "erin": "erin@example.com",
    "frank": "frank@example.com",
}
"""AppInstanceUserIds that are e-mail addresses (``user_ids_are_emails``; the contract table)."""


def make_double(ids: dict[str, str] | None = None, **double: Any) -> ChimeSdkDouble:
    """alice and carol moderate #desk, bob, dave and frank are members; alice moderates
    #solo, bob is in it; erin is in no channel; frank is an AppInstanceAdmin. ``ids``: each
    person's AppInstanceUserId (default: their name); ``double``: the double's own arguments
    (its keys, say)."""
    sdk = ChimeSdkDouble(**double)
    uid = ids or {name: name for name in PEOPLE}
    for name, full in PEOPLE.items():
        sdk.add_user(uid[name], full, admin=name == "frank")

    def arn(name: str) -> str:
        return sdk.user_arn(uid[name])

    sdk.add_channel(
        "desk",
        "Trading Desk",
        moderators=[arn("alice"), arn("carol")],
        members=[arn("bob"), arn("dave"), arn("frank")],
    )
    sdk.add_channel("solo", "Solo", moderators=[arn("alice")], members=[arn("bob")])
    return sdk


@pytest.fixture
async def sdk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[ChimeSdkDouble]:
    async with aws_double(make_double(), monkeypatch, tmp_path) as double:
        yield double


POLICY: dict[str, Any] = {
    "commands": {"undo": {"room_owners": True}},
    "owners_may_act_on_owners": True,
}


def settings_maker(sdk: ChimeSdkDouble, tmp_path: Path) -> ConfigMaker:
    def make(section: dict[str, Any] | None = None, **overrides: Any) -> Settings:
        return settings(tmp_path, "chime_sdk", sdk.config(**(section or {})), POLICY, **overrides)

    return make


@pytest.fixture
def settings_for(sdk: ChimeSdkDouble, tmp_path: Path) -> ConfigMaker:
    return settings_maker(sdk, tmp_path)


async def start_bot(settings: Settings, *, listening: bool = True) -> tuple[App, ChimeSdkPlatform]:
    """The bot, started; with ``listening``, once its messaging session is established and
    caught up (a message posted before that would reach no socket)."""
    section = getattr(settings, "chime_sdk", None)
    assert section is not None
    platform = ChimeSdkPlatform(section)
    app = App(settings, {"chime_sdk": platform})
    await app.start()
    if listening:
        session = platform.messaging_session
        assert session is not None
        await asyncio.wait_for(session.caught_up.wait(), 20.0)
    return app, platform


class Channel:
    """Post in a channel as a person; read the bot's reply there."""

    def __init__(
        self,
        sdk: ChimeSdkDouble,
        platform: ChimeSdkPlatform,
        channel_id: str,
        ids: dict[str, str] | None = None,
    ) -> None:
        self.sdk = sdk
        self.platform = platform
        self.arn = f"{sdk.app_instance_arn}/channel/{channel_id}"
        self.ids = ids or {}
        """Each person's AppInstanceUserId, where it is not their name."""

    async def send(self, person: str, text: str, **extra: Any) -> bool:
        """Post ``text`` as ``person`` (the double publishes it on the messaging session);
        whether the bot recorded a command from it, once the session has handled it."""
        session = self.platform.messaging_session
        assert session is not None
        sender = self.sdk.user_arn(self.ids.get(person, person))
        message = self.sdk.say(sender, self.arn, text, **extra)
        handled: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def heard(message_id: str, recorded: bool) -> None:
            if message_id == message.message_id and not handled.done():
                handled.set_result(recorded)

        session.on_handled.append(heard)
        try:
            return await asyncio.wait_for(handled, 20.0)
        finally:
            session.on_handled.remove(heard)

    async def say(self, person: str, text: str, **extra: Any) -> str:
        assert await self.send(person, text, **extra)
        return await self.reply()

    async def reply(self) -> str:
        """The bot's next message here as read (code spans' backticks are the markup)."""
        message = await self.sdk.next_message(self.arn, timeout=20.0)
        return readable(message.content).replace("`", "")

    @property
    def members(self) -> set[str]:
        return {_name(arn) for arn in self.sdk.channel(self.arn).members}

    @property
    def moderators(self) -> set[str]:
        return {_name(arn) for arn in self.sdk.channel(self.arn).moderators}


def _name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


@pytest.fixture
async def bot(settings_for: ConfigMaker) -> AsyncIterator[tuple[App, ChimeSdkPlatform]]:
    app, platform = await start_bot(settings_for())
    yield app, platform
    await app.stop()


@pytest.fixture
def desk(sdk: ChimeSdkDouble, bot: tuple[App, ChimeSdkPlatform]) -> Channel:
    return Channel(sdk, bot[1], "desk")


@pytest.fixture
def solo(sdk: ChimeSdkDouble, bot: tuple[App, ChimeSdkPlatform]) -> Channel:
    return Channel(sdk, bot[1], "solo")
