"""The rocketchat: section is validated at load; errors name the key; secrets may come from the
environment; the example config file is valid."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import App
from bot.errors import ConfigError
from bot.platforms.rocketchat.adapter import RocketChatPlatform
from bot.testing.rocketchat.server import RocketChatServer
from tests.rocketchat.conftest import ALICE, BOB, DESK, ConfigMaker, Room, start_bot, visible

GOOD: dict[str, Any] = {
    "url": "https://chat.example.com",
    "user_id": "bot-id",
    "auth_token": "pat",
    "webhook_token": "hook",
}
SECRETS = ("ROCKETCHAT_USER_ID", "ROCKETCHAT_AUTH_TOKEN", "ROCKETCHAT_WEBHOOK_TOKEN")


@pytest.fixture(autouse=True)
def _no_secrets_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in SECRETS:
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"auth_tokn": "x"}, "rocketchat.auth_tokn: unknown key"),
        ({"auth_token": None}, "rocketchat.auth_token: required (in the file or as ROCKET"),
        ({"url": "chat.example.com"}, "rocketchat.url: must be the server's http(s) base URL"),
        ({"trigger": "/kick"}, "rocketchat.trigger: Rocket.Chat owns /kick"),
        ({"trigger": "kick"}, "rocketchat.trigger: must be one to three symbols"),
        ({"listen_port": 70000}, "rocketchat.listen_port: Input should be less than or equal"),
        ({"path": "rocketchat"}, "rocketchat.path: must start with /"),
        ({"rate_limit_calls": -1}, "rocketchat.rate_limit_calls: Input should be greater"),
        ({"webhook_token": ""}, "rocketchat.webhook_token: must not be empty"),
    ],
    ids=["typo", "null", "url", "slash", "no-prefix", "port", "path", "rate", "empty-token"],
)
def test_bad_section_names_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        RocketChatPlatform({**GOOD, **change})
    assert message in str(err.value)


@pytest.mark.parametrize("key", ["user_id", "auth_token", "webhook_token"])
def test_missing_secret_says_where_it_may_come_from(key: str) -> None:
    section = {k: v for k, v in GOOD.items() if k != key}
    with pytest.raises(ConfigError) as err:
        RocketChatPlatform(section)
    var = "ROCKETCHAT_" + key.upper()
    assert f"rocketchat.{key}: required (in the file or as {var})" in str(err.value)


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
    app: App = await start_bot(settings_for({"trigger": ".kick"}), server)
    try:
        desk = Room(server, DESK)
        reply = await desk.say(ALICE, ".kick @bob")
        text = visible(reply.msg)
        assert "Removed @bob." in text
        assert "`.kick`" in text
        assert (await desk.post(ALICE, "!kick @alice")).status == 200  # not a command now
        reply = await desk.say(ALICE, ".help")
        assert "`.demote @user [@user …]`" in visible(reply.msg)
    finally:
        await app.stop()
    assert BOB not in server.room(DESK).members
    assert server.changing_calls() == [f"groups.kick {BOB}"]
