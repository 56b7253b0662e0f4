"""Fixtures: an emulated Symphony pod on loopback and the real bot connected to it.

Every test talks to the bot only as a person would: by saying something in a room of the pod and
reading the bot's reply there; the pod checks every request against the Symphony specs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import App
from bot.platforms.symphony.adapter import SymphonyPlatform
from bot.settings import Settings
from bot.testing.symphony import SymphonyPod
from bot.testing.symphony.state import SimMessage
from tests.kit import SPINE_POLICY, checked, room_fixture, settings
from tests.kit import ConfigMaker as ConfigMaker

BOT = 1000
ALICE, BOB, CAROL, DAVE, ERIN, FRANK = 1001, 1002, 1003, 1004, 1005, 1006
DESK = "hJ4x+Kq/ZW9vbQ=="  # standard base64, with + and /: must be sent URL-safe
SOLO = "U29sby1Sb29tLTAwMQ"  # one human owner
GROUP = "571db1f2e4b027c4f055a594"


def make_pod() -> SymphonyPod:
    pod = SymphonyPod(bot_username="kickbot", bot_user_id=BOT, bot_display_name="kickbot")
    pod.add_user(ALICE, "Alice Owner", email="alice@example.com", username="alice")
    pod.add_user(BOB, "Bob Member", email="bob@example.com", username="bob")
    pod.add_user(CAROL, "Carol Owner", email="carol@example.com", username="carol")
    pod.add_user(DAVE, "Dave External", email="dave@globex.example", username="dave")
    pod.add_user(ERIN, "Erin Departed", email="erin@example.com", username="erin", active=False)
    pod.add_user(FRANK, "Frank Compliance", email="frank@example.com", username="frank")
    pod.bot_roles.add("USER_PROVISIONING")
    pod.add_room(DESK, "Trading Desk", owners=[ALICE, CAROL], members=[BOT, BOB, DAVE, FRANK])
    pod.add_room(SOLO, "Solo", owners=[ALICE], members=[BOT, BOB])
    pod.add_ib_group(GROUP, "Research", members=[BOB, DAVE, ERIN])
    return pod


@pytest.fixture
async def pod() -> AsyncIterator[SymphonyPod]:
    async with checked(make_pod()) as p:
        yield p


@pytest.fixture
def settings_for(pod: SymphonyPod, tmp_path: Path) -> ConfigMaker:
    key = pod.write_private_key(tmp_path / "bot.pem")

    def make(**overrides: Any) -> Settings:
        return settings(tmp_path, "symphony", pod.bdk_config(key), SPINE_POLICY, **overrides)

    return make


def config_file_for(pod: SymphonyPod, tmp_path: Path, **top: Any) -> Path:
    """A ``kickbot.yaml`` in ``tmp_path`` for a real ``kickbot`` process on ``pod``: its store in
    ``tmp_path``, plus the other top-level keys ``top`` (``bulk``, ``policy``...)."""
    key = pod.write_private_key(tmp_path / "bot.pem")
    path = tmp_path / "kickbot.yaml"
    data = {"store": f"sqlite:///{tmp_path}/kickbot.db", "symphony": pod.bdk_config(key), **top}
    path.write_text(yaml.safe_dump(data))
    return path


async def start_bot(settings: Settings) -> App:
    assert settings.symphony is not None
    app = App(settings, {"symphony": SymphonyPlatform(settings.symphony)})
    await app.start()
    return app


async def kill(app: App) -> None:
    """``app``'s process dies: what it is doing is cut off where it stands, with no grace."""
    assert app.dispatcher is not None
    await app.dispatcher.cancel()
    await app.stop(grace_seconds=0)


async def killed_mid_call(
    pod: SymphonyPod, settings: Settings, method: str, path: str, text: str
) -> asyncio.Event:
    """A bot on ``settings`` that Alice asks ``text`` in the desk, killed while its call
    ``method path`` is in flight (held): returns the hold, to let the pod answer nobody."""
    app = await start_bot(settings)
    await pod.wait_until_listening()
    release = pod.hold_next(method, path)
    pod.say(ALICE, DESK, text)
    await pod.wait_for_calls(method, path, 1)
    await kill(app)
    return release


@contextlib.asynccontextmanager
async def running(pod: SymphonyPod, settings: Settings) -> AsyncIterator[App]:
    """The bot on ``settings``, started and listening to ``pod``; stopped when done."""
    app = await start_bot(settings)
    try:
        await pod.wait_until_listening()
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def bot(settings_for: ConfigMaker, pod: SymphonyPod) -> AsyncIterator[App]:
    app = await start_bot(settings_for())
    await pod.wait_until_listening()
    yield app
    await app.stop()


class Room:
    """Talk in a room of the pod as a person, read the bot's answer."""

    def __init__(self, pod: SymphonyPod, stream_id: str):
        self.pod = pod
        self.id = stream_id

    async def say(self, user: int, text: str) -> SimMessage:
        self.pod.say(user, self.id, text)
        return await self.pod.next_message(self.id, timeout=20.0)

    @property
    def members(self) -> dict[int, bool]:
        return dict(self.pod.room(self.id).members)


desk = room_fixture("pod", Room, DESK)
solo = room_fixture("pod", Room, SOLO)


def changes(pod: SymphonyPod) -> list[str]:
    """Every state-changing call the pod received (membership and IB group changes)."""
    return [
        f"{r.method} {r.path}"
        for r in pod.requests
        if r.method == "POST" and ("/membership/" in r.path) and not r.path.endswith("/list")
    ]


# --- stores: every store test runs on SQLite and, with KICKBOT_TEST_DATABASE_URL, PostgreSQL ---


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A store URL: a SQLite file, or a fresh PostgreSQL schema (see ``tests/stores.py``)."""
    from tests.stores import store_url_for

    async with store_url_for(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings_on_store(settings_for: ConfigMaker, store_url: str) -> ConfigMaker:
    """``settings_for`` with the bot's store at ``store_url`` (override ``store=`` to change)."""

    def make(**overrides: Any) -> Settings:
        return settings_for(**{"store": store_url, **overrides})

    return make
