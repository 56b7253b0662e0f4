"""Offboarding on every platform of one bot serving Rocket.Chat, Amazon Chime (its retired
rooms API) and Amazon Chime SDK messaging at once: the person found by e-mail on each (Rocket.Chat's
users, Chime's account, AppInstanceUserIds that are addresses), one case, one /undo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.platform import Platform
from bot.platforms.chime.adapter import ChimePlatform
from bot.platforms.chime_sdk.adapter import ChimeSdkPlatform
from bot.platforms.rocketchat.adapter import RocketChatPlatform
from bot.settings import parse
from bot.testing.chime.double import ChimeDouble
from bot.testing.chime_sdk.double import ChimeSdkDouble
from bot.testing.rocketchat.server import RocketChatServer
from handlers import COMMANDS
from tests import kit
from tests.chime import conftest as chime_kit
from tests.chime_sdk import conftest as sdk_kit
from tests.rocketchat import conftest as rc_kit

POLICY: dict[str, Any] = {
    "commands": {
        "offboard": {"users": ["frank@example.com"]},
        "undo": {"room_owners": True, "users": ["frank@example.com"]},
    },
}


@dataclass
class Worlds:
    rocketchat: RocketChatServer
    chime: ChimeDouble
    sdk: ChimeSdkDouble
    app: App


@pytest.fixture
async def worlds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[Worlds]:
    chime_double = chime_kit.make_double()
    # One AWS account's keys for both Chime services (botocore reads them from the environment).
    sdk_double = sdk_kit.make_double(
        dict(sdk_kit.EMAIL),
        access_key=chime_double.access_key,
        secret_key=chime_double.secret_key,
    )
    async with (
        kit.checked(rc_kit.make_server()) as rocketchat,
        kit.checked(chime_double) as chime,
        kit.aws_double(sdk_double, monkeypatch, tmp_path) as sdk,
    ):
        sdk.operations.admins.add(sdk.bot)  # lists another user's channels
        settings = parse(
            {
                "store": f"sqlite:///{tmp_path}/kickbot.db",
                "policy": POLICY,
                "rocketchat": rocketchat.bot_config(),
                "chime": chime.config(),
                "chime_sdk": sdk.config(user_ids_are_emails=True),
                "offboarding": {"retry_first_seconds": 0.05, "retry_for_minutes": 0.1},
            },
            [c.name for c in COMMANDS],
            "test",
        )
        assert settings.rocketchat is not None
        assert settings.chime is not None
        assert settings.chime_sdk is not None
        rc_platform = RocketChatPlatform(settings.rocketchat)
        chime_platform = ChimePlatform(settings.chime)
        platforms: dict[str, Platform] = {
            "rocketchat": rc_platform,
            "chime": chime_platform,
            "chime_sdk": ChimeSdkPlatform(settings.chime_sdk),
        }
        app = App(settings, platforms)
        await app.start()
        rocketchat.connect(rc_platform.webhook_url)
        chime.events.endpoint = chime_platform.listen_url
        try:
            yield Worlds(rocketchat, chime, sdk, app)
        finally:
            await app.stop()
        sdk.assert_no_violations()


def bob_everywhere(w: Worlds) -> dict[str, set[str]]:
    """The rooms Bob is in, by platform."""
    bob_arn = w.sdk.user_arn(sdk_kit.EMAIL["bob"])
    return {
        "rocketchat": {
            r for r in (rc_kit.DESK, rc_kit.TOWN, rc_kit.SOLO)
            if rc_kit.BOB in w.rocketchat.room(r).members
        },
        "chime": {
            r for r in (chime_kit.DESK, chime_kit.SOLO)
            if chime_kit.BOB in w.chime.room(r).memberships
        },
        "chime_sdk": {
            c for c in ("desk", "solo")
            if bob_arn in w.sdk.channel(f"{w.sdk.app_instance_arn}/channel/{c}").members
        },
    }  # fmt: skip


async def test_one_case_on_rocketchat_chime_and_chime_sdk(worlds: Worlds) -> None:
    before = bob_everywhere(worlds)
    assert before == {
        "rocketchat": {rc_kit.DESK, rc_kit.TOWN, rc_kit.SOLO},
        "chime": {chime_kit.DESK, chime_kit.SOLO},
        "chime_sdk": {"desk", "solo"},
    }
    desk = rc_kit.Room(worlds.rocketchat, rc_kit.DESK)
    said = await desk.say(rc_kit.FRANK, "!offboard bob@example.com --platform all left the firm")
    plan = rc_kit.visible(said.msg)
    case = int(plan.split("case ")[1].split(":")[0])
    # Seven removals are more than bulk.confirm_above: a plan first, nothing changed yet.
    assert f"case {case}: plan: 7 would be done." in plan, plan
    for line in (
        "Would remove Bob Member from “Amazon Chime Trading Desk”.",
        "Would remove Bob Member from “Amazon Chime SDK Solo”.",
        f"answer `!confirm {case}` here",
    ):
        assert line in plan, plan
    assert bob_everywhere(worlds) == before

    go = rc_kit.visible((await desk.say(rc_kit.FRANK, f"!confirm {case}")).msg)
    assert f"Confirmed case {case}: `!offboard` starts now (7 changes" in go, go
    text = rc_kit.visible((await worlds.rocketchat.next_message(rc_kit.DESK, timeout=30)).msg)
    summary = f"case {case}: offboarding bob@example.com on 3 platforms, 7 rooms: 7 done."
    assert summary in text, text
    assert "Rocket.Chat: 3 rooms, 3 done." in text, text
    assert "Amazon Chime: 2 rooms, 2 done." in text, text
    assert "Amazon Chime SDK: 2 rooms, 2 done." in text, text
    assert bob_everywhere(worlds) == {"rocketchat": set(), "chime": set(), "chime_sdk": set()}

    undone = rc_kit.visible((await desk.say(rc_kit.FRANK, f"!undo {case}")).msg)
    assert bob_everywhere(worlds) == before, undone


async def test_an_unauthorized_caller_changes_nothing_on_any_of_them(worlds: Worlds) -> None:
    desk = rc_kit.Room(worlds.rocketchat, rc_kit.DESK)
    said = await desk.say(rc_kit.BOB, "!offboard carol@example.com --platform all")
    assert "You may not run `!offboard`" in rc_kit.visible(said.msg), said.msg
    assert worlds.rocketchat.changing_calls() == []
    assert [c for c in worlds.chime.recorded(lambda c: c.method != "GET")] == []
    assert worlds.sdk.state_changes() == []
