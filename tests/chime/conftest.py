"""Fixtures: a Chime double (model-checked API, webhooks, signed events) and the real bot.

Tests talk to the bot only as Chime would: a person mentions the bot in a room (a signed Mention
event to kickbot's endpoint) and the test reads what the bot posted to the room's webhook. The
double checks every API call against the botocore model and its SigV4 signature.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.platforms.chime.adapter import ChimePlatform
from bot.settings import Settings
from bot.testing.chime.double import DEFAULT_ACCOUNT_ID, ChimeDouble
from bot.testing.chime.state import WebhookMessage
from tests.kit import SPINE_POLICY, aws_double, room_fixture, running, settings
from tests.kit import ConfigMaker as ConfigMaker

ALICE = "a11ce000-0000-4000-8000-000000000001"  # Administrator of DESK and SOLO
BOB = "b0b00000-0000-4000-8000-000000000002"
CAROL = "ca201000-0000-4000-8000-000000000003"  # Administrator of DESK
DAVE = "da7e0000-0000-4000-8000-000000000004"
ERIN = "e2140000-0000-4000-8000-000000000005"  # in the account, in no room
FRANK = "f2a4c000-0000-4000-8000-000000000006"  # compliance, named in the policy
DESK = "d35c0000-0000-4000-8000-00000000de5c"
SOLO = "5010c000-0000-4000-8000-0000000050f0"
EMAIL = {
    ALICE: "alice@example.com",
    BOB: "bob@example.com",
    CAROL: "carol@example.com",
    DAVE: "dave@globex.example",
    ERIN: "erin@example.com",
    FRANK: "frank@example.com",
}


def make_double() -> ChimeDouble:
    chime = ChimeDouble()
    for uid, name in (
        (ALICE, "Alice Owner"),
        (BOB, "Bob Member"),
        (CAROL, "Carol Owner"),
        (DAVE, "Dave External"),
        (ERIN, "Erin Elsewhere"),
        (FRANK, "Frank Compliance"),
    ):
        chime.add_user(uid, name, EMAIL[uid])
    chime.add_room(DESK, "Trading Desk", administrators=[ALICE, CAROL], members=[BOB, DAVE, FRANK])
    chime.add_room(SOLO, "Solo", administrators=[ALICE], members=[BOB])
    return chime


@pytest.fixture
async def chime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[ChimeDouble]:
    async with aws_double(make_double(), monkeypatch, tmp_path) as double:
        yield double


@pytest.fixture
def settings_for(chime: ChimeDouble, tmp_path: Path) -> ConfigMaker:
    def make(chime_overrides: dict[str, Any] | None = None, **overrides: Any) -> Settings:
        config = chime.config(**(chime_overrides or {}))
        return settings(tmp_path, "chime", config, SPINE_POLICY, **overrides)

    return make


async def start_bot(settings: Settings, chime: ChimeDouble) -> App:
    assert settings.chime is not None
    platform = ChimePlatform(settings.chime)
    app = App(settings, {"chime": platform})
    await app.start()
    chime.events.endpoint = platform.listen_url
    return app


@pytest.fixture
async def bot(settings_for: ConfigMaker, chime: ChimeDouble) -> AsyncIterator[App]:
    async with running(start_bot(settings_for(), chime)) as app:
        yield app


class Room:
    """Talk in a Chime room as a person (mentioning the bot), read the bot's webhook reply."""

    def __init__(self, chime: ChimeDouble, room_id: str):
        self.chime = chime
        self.id = room_id

    async def say(self, user: str, text: str, *, addressed: bool = True) -> WebhookMessage:
        await self.send(user, text, addressed=addressed)
        return await self.chime.next_message(self.id, timeout=20.0)

    async def send(self, user: str, text: str, *, addressed: bool = True) -> None:
        email = self.chime.users[user].email
        delivery = await self.chime.events.mention(email, self.id, text, addressed=addressed)
        assert delivery.status == 200, delivery.attempts

    @property
    def roles(self) -> dict[str, str]:
        return dict(self.chime.room(self.id).roles)


desk = room_fixture("chime", Room, DESK)
solo = room_fixture("chime", Room, SOLO)


def path(room: str, member: str | None = None) -> str:
    """The API path of a room's memberships (or of one membership)."""
    base = f"/accounts/{DEFAULT_ACCOUNT_ID}/rooms/{room}/memberships"
    return f"{base}/{member}" if member else base
