"""The rocketchat: section: secrets from the environment, a trigger of one's own (a bad key:
``tests/contract/test_config_platforms.py``)."""

from __future__ import annotations

import pytest

from bot.platforms.rocketchat.adapter import RocketChatPlatform
from bot.testing.rocketchat.server import RocketChatServer
from tests.kit import running
from tests.rocketchat.conftest import ALICE, BOB, DESK, ConfigMaker, Room, start_bot, visible


def test_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROCKETCHAT_USER_ID", "env-bot")
    monkeypatch.setenv("ROCKETCHAT_AUTH_TOKEN", "env-pat")
    monkeypatch.setenv("ROCKETCHAT_WEBHOOK_TOKEN", "env-hook")
    platform = RocketChatPlatform({"url": "https://chat.example.com/"})
    assert platform.config.user_id == "env-bot"
    assert platform.config.auth_token.get_secret_value() == "env-pat"
    assert platform.config.webhook_token.get_secret_value() == "env-hook"
    assert platform.config.url == "https://chat.example.com"
    assert "env-pat" not in repr(platform.config)  # secrets never show in logs or tracebacks
    assert platform.command_prefixes == ("!",)


async def test_a_custom_trigger_is_the_prefix_of_every_command(
    server: RocketChatServer, settings_for: ConfigMaker
) -> None:
    async with running(start_bot(settings_for({"trigger": ".kick"}), server)):
        desk = Room(server, DESK)
        text = visible((await desk.say(ALICE, ".kick @bob")).msg)
        assert "Removed @bob." in text
        assert "`.kick`" in text
        assert (await desk.post(ALICE, "!kick @alice")).status == 200  # not a command now
        assert "`.demote @user [@user …]`" in visible((await desk.say(ALICE, ".help")).msg)
    assert BOB not in server.room(DESK).members
    assert server.changing_calls() == [f"groups.kick {BOB}"]
