"""Fixtures: an emulated Slack workspace on loopback and the real bot (Bolt) connected to it.

Tests talk to the bot as Slack does: slash commands and ``app_mention`` events, delivered either
as really signed HTTP requests to the bot's Request URL or as Socket Mode envelopes on the
double's websocket; they read the bot's replies and the channel's membership from the double,
which checks every Web API call against the official spec.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml

from bot.app import App
from bot.platforms.slack.adapter import SlackPlatform
from bot.settings import Settings
from bot.testing.slack.config import Mode as Mode
from bot.testing.slack.config import kickbot_section
from bot.testing.slack.signing import SignedSender
from bot.testing.slack.state import SlackMessage
from bot.testing.slack.workspace import SlackWorkspace
from tests.kit import checked, settings

ROOT = Path(__file__).parent.parent.parent
MANIFEST = ROOT / "config" / "slack-manifest.yaml"

BOT = "U0KICKBOT"
ALICE = "U0ALICE"  # workspace admin
OWEN = "U0OWEN"  # workspace owner
CAROL = "U0CAROL"  # created #desk; otherwise a plain member
BOB = "U0BOB"
DAVE = "U0DAVE"
ERIN = "U0ERIN"  # in no channel
FRANK = "U0FRANK"  # compliance: named in the policy by e-mail
DESK = "C0DESK0001"
GENERAL = "C0GENERAL1"
SECRET = "G0SECRET01"  # private


def manifest_scopes() -> set[str]:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return set(manifest["oauth_config"]["scopes"]["bot"])


def make_workspace(scopes: set[str] | None = None) -> SlackWorkspace:
    slack = SlackWorkspace(scopes=manifest_scopes() if scopes is None else scopes)
    slack.add_user(ALICE, "alice", "Alice Admin", email="alice@example.com", is_admin=True)
    slack.add_user(OWEN, "owen", "Owen Owner", email="owen@example.com", is_owner=True)
    slack.add_user(CAROL, "carol", "Carol Creator", email="carol@example.com")
    slack.add_user(BOB, "bob", "Bob Member", email="bob@example.com")
    slack.add_user(DAVE, "dave", "Dave External", email="dave@globex.example")
    slack.add_user(ERIN, "erin", "Erin Elsewhere", email="erin@example.com")
    slack.add_user(FRANK, "frank", "Frank Compliance", email="frank@example.com")
    everyone = [ALICE, OWEN, CAROL, BOB, DAVE, FRANK]
    slack.add_channel(DESK, "desk", creator=CAROL, members=[ALICE, BOB, DAVE, FRANK, OWEN])
    slack.add_channel(GENERAL, "general", creator=OWEN, members=everyone, general=True)
    slack.add_channel(SECRET, "secret", creator=CAROL, members=[BOB], private=True)
    return slack


POLICY = {
    "commands": {"kick": {"room_owners": True, "users": ["frank@example.com"]}},
    # A named rank above room owners: frank may act on owners and members alike.
    "ranks": [{"name": "compliance", "users": ["frank@example.com"]}],
}


@pytest.fixture
async def slack() -> AsyncIterator[SlackWorkspace]:
    async with checked(make_workspace()) as workspace:
        yield workspace


slack_section = kickbot_section

SettingsMaker = Callable[..., Settings]


@pytest.fixture
def slack_settings(slack: SlackWorkspace, tmp_path: Path) -> SettingsMaker:
    def make(mode: Mode = "http", **overrides: Any) -> Settings:
        return settings(tmp_path, "slack", slack_section(slack, mode), POLICY, **overrides)

    return make


@dataclass(frozen=True)
class Ack:
    """How the bot acknowledged a delivery: HTTP status / Socket Mode ack, and its text."""

    ok: bool
    text: str | None


class Transport(Protocol):
    async def slash(self, fields: dict[str, str]) -> Ack: ...

    async def event(self, body: dict[str, Any], *, retry: int = 0) -> Ack: ...


class HttpTransport:
    def __init__(self, sender: SignedSender) -> None:
        self.sender = sender

    async def slash(self, fields: dict[str, str]) -> Ack:
        got = await self.sender.slash_command(fields)
        body = got.json() if got.body.startswith("{") else None
        return Ack(got.status == 200, body.get("text") if isinstance(body, dict) else None)

    async def event(self, body: dict[str, Any], *, retry: int = 0) -> Ack:
        got = await self.sender.event(body, retry_num=retry or None)
        return Ack(got.status == 200, None)


class SocketTransport:
    def __init__(self, slack: SlackWorkspace) -> None:
        self.slack = slack

    async def slash(self, fields: dict[str, str]) -> Ack:
        envelope = await self.slack.socket.send("slash_commands", dict(fields))
        ack = await self.slack.socket.wait_for_ack(envelope)
        payload = ack.get("payload") or {}
        return Ack(True, payload.get("text"))

    async def event(self, body: dict[str, Any], *, retry: int = 0) -> Ack:
        reason = "timeout" if retry else ""
        envelope = await self.slack.socket.send(
            "events_api", body, retry_attempt=retry, retry_reason=reason
        )
        await self.slack.socket.wait_for_ack(envelope)
        return Ack(True, None)


@dataclass
class Bot:
    app: App
    platform: SlackPlatform
    transport: Transport
    mode: Mode


async def start_bot(slack: SlackWorkspace, settings: Settings, mode: Mode) -> Bot:
    assert settings.slack is not None
    platform = SlackPlatform(settings.slack)
    app = App(settings, {"slack": platform})
    await app.start()
    transport: Transport
    if mode == "http":
        transport = HttpTransport(SignedSender(platform.listen_url, slack.signing_secret))
    else:
        await slack.socket.wait_connected()
        transport = SocketTransport(slack)
    return Bot(app, platform, transport, mode)


async def stop_bot(bot: Bot) -> None:
    await bot.app.stop()
    if isinstance(bot.transport, HttpTransport):
        await bot.transport.sender.close()


@contextlib.asynccontextmanager
async def running(
    slack: SlackWorkspace, settings: Settings, mode: Mode = "http"
) -> AsyncIterator[Bot]:
    """The bot on ``settings`` in ``mode``, stopped when the block is done, passed or failed."""
    started = await start_bot(slack, settings, mode)
    try:
        yield started
    finally:
        await stop_bot(started)


@pytest.fixture(params=["http", "socket"])
async def bot(
    request: pytest.FixtureRequest, slack: SlackWorkspace, slack_settings: SettingsMaker
) -> AsyncIterator[Bot]:
    """The bot in each mode in turn."""
    async with running(slack, slack_settings(request.param), request.param) as started:
        yield started


@pytest.fixture
async def http_bot(slack: SlackWorkspace, slack_settings: SettingsMaker) -> AsyncIterator[Bot]:
    async with running(slack, slack_settings("http")) as started:
        yield started


@pytest.fixture
async def socket_bot(slack: SlackWorkspace, slack_settings: SettingsMaker) -> AsyncIterator[Bot]:
    async with running(slack, slack_settings("socket"), "socket") as started:
        yield started


class Channel:
    """Type in a channel as a person (a slash command or a mention); read the bot's answer."""

    def __init__(self, slack: SlackWorkspace, bot: Bot, channel_id: str) -> None:
        self.slack = slack
        self.bot = bot
        self.id = channel_id

    async def slash(self, user: str, text: str, command: str = "/kick") -> SlackMessage:
        fields = self.slack.slash_command(user, self.id, text, command=command)
        ack = await self.bot.transport.slash(fields)
        assert ack.ok, ack
        assert ack.text is None, ack
        return await self.slack.next_message(self.id, timeout=20.0)

    async def mention(
        self, user: str, text: str, *, thread_ts: str | None = None, raw: bool = False
    ) -> SlackMessage:
        event = self.slack.mention(user, self.id, text, thread_ts=thread_ts, raw=raw)
        ack = await self.bot.transport.event(event)
        assert ack.ok, ack
        return await self.slack.next_message(self.id, timeout=20.0)

    @property
    def members(self) -> list[str]:
        return self.slack.members(self.id)


@pytest.fixture
def desk(slack: SlackWorkspace, bot: Bot) -> Channel:
    return Channel(slack, bot, DESK)


def kicks(slack: SlackWorkspace) -> list[dict[str, Any]]:
    """The arguments of every conversations.kick call the double received."""
    return [{**r.query, **(r.body or {})} for r in slack.calls("conversations.kick")]


@pytest.fixture
def desk_http(slack: SlackWorkspace, http_bot: Bot) -> Channel:
    """#desk with the bot in HTTP mode only (for what does not depend on the transport)."""
    return Channel(slack, http_bot, DESK)
