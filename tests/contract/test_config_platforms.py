"""Each platform's section of the config file is checked when it is loaded, and every error names
the key (``<platform>.<key>: ...``): one table for every platform. What a section holds is each
platform's own; how secrets come from the environment is tested in its folder."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import build_platforms
from bot.errors import ConfigError
from bot.platforms import build
from bot.settings import parse
from handlers import COMMANDS

GOOD: dict[str, dict[str, Any]] = {
    "chime": {
        "account_id": "a1b2c3d4-0000-4000-8000-00000000acc7",
        "bot_id": "b0b0b0b0-0000-4000-8000-00000000b07a",
        "bot_email": "kickbot@example.com",
        "bot_security_token": "token",
    },
    "matrix": {
        "homeserver": "https://matrix.example.org/",
        "user_id": "@kickbot:example.org",
        "access_token": "syt_secret",
        "sync_token_file": "/var/lib/kickbot/matrix-sync.json",
    },
    "rocketchat": {
        "url": "https://chat.example.com",
        "user_id": "bot-id",
        "auth_token": "pat",
        "webhook_token": "hook",
    },
    "slack": {"mode": "socket", "bot_token": "xoxb-1", "app_token": "xapp-1"},
}
"""A section each platform loads; a row of ``BAD`` changes one key (``None``: leaves it out)."""

FROM_ENV = (
    "CHIME_BOT_SECURITY_TOKEN",
    *(f"ROCKETCHAT_{k}" for k in ("USER_ID", "AUTH_TOKEN", "WEBHOOK_TOKEN")),
    *(f"SLACK_{k}" for k in ("BOT_TOKEN", "SIGNING_SECRET", "APP_TOKEN")),
)
"""The variables a section's secrets may come from: none is set here."""

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("chime", {"acount_id": "x"}, "chime.acount_id: unknown key"),
    ("chime", {"account_id": None}, "chime.account_id: required"),
    ("chime", {"bot_id": None}, "chime.bot_id: required"),
    ("chime", {"bot_email": "kickbot"}, "chime.bot_email: Value error, must be an e-mail address"),
    ("chime", {"listen_port": 70000}, "chime.listen_port: Input should be less than or equal to"),
    ("chime", {"path": "chime"}, "chime.path: Value error, must start with /"),
    ("chime", {"endpoint_url": "chime.example"}, "chime.endpoint_url: Value error, must be an"),
    ("chime", {"page_size": 100}, "chime.page_size: Input should be less than or equal to 99"),
    ("chime", {"resolve_timeout_seconds": 2.5}, "chime.resolve_timeout_seconds: Input should be"),
    ("chime", {"reply_interval_seconds": 0.5}, "chime.reply_interval_seconds: Input should be"),
    ("chime", {"bot_security_token": None}, "chime.bot_security_token: required (or set CHIME_"),
    ("matrix", {"acess_token": "x"}, "matrix.acess_token: unknown key"),
    ("matrix", {"sync_token_file": None}, "matrix.sync_token_file: Field required"),
    ("matrix", {"homeserver": "matrix.example.org"}, "matrix.homeserver: Value error, must start"),
    ("matrix", {"user_id": "kickbot"}, "matrix.user_id: Value error, must be a full Matrix user"),
    ("matrix", {"password": "pw"}, "matrix.access_token: give exactly one of access_token or"),
    ("matrix", {"access_token": None}, "matrix.access_token: give exactly one"),
    ("matrix", {"timeline_limit": 0}, "matrix.timeline_limit: Input should be greater than or"),
    ("rocketchat", {"auth_tokn": "x"}, "rocketchat.auth_tokn: unknown key"),
    *(
        ("rocketchat", {key: None}, f"rocketchat.{key}: required (in the file or as ROCKETCHAT_")
        for key in ("user_id", "auth_token", "webhook_token")
    ),
    ("rocketchat", {"url": "chat.example.com"}, "rocketchat.url: must be the server's http(s)"),
    ("rocketchat", {"trigger": "/kick"}, "rocketchat.trigger: Rocket.Chat owns /kick"),
    ("rocketchat", {"trigger": "kick"}, "rocketchat.trigger: must be one to three symbols"),
    ("rocketchat", {"listen_port": 70000}, "rocketchat.listen_port: Input should be less than"),
    ("rocketchat", {"path": "rocketchat"}, "rocketchat.path: must start with /"),
    ("rocketchat", {"rate_limit_calls": -1}, "rocketchat.rate_limit_calls: Input should be"),
    ("rocketchat", {"webhook_token": ""}, "rocketchat.webhook_token: must not be empty"),
    ("slack", {"bot_tokn": "x"}, "slack.bot_tokn: unknown key"),
    ("slack", {"bot_token": None}, "slack.bot_token: required (or set SLACK_BOT_TOKEN"),
    ("slack", {"mode": "webhook"}, "slack.mode: Input should be 'socket' or 'http'"),
    ("slack", {"mode": None}, "slack.mode: Field required"),
    ("slack", {"bot_token": "xoxp-1"}, "slack.bot_token: must be the app's bot token"),
    ("slack", {"app_token": None}, "slack.app_token: required in socket mode"),
    ("slack", {"app_token": "xoxb-2"}, "slack.app_token: must be an app-level token"),
    ("slack", {"mode": "http", "app_token": None}, "slack.signing_secret: required in HTTP mode"),
    ("slack", {"listen_port": 70000}, "slack.listen_port: Input should be less than or equal"),
    ("slack", {"api_base_url": "slack.com/api"}, "slack.api_base_url: must be an http(s) URL"),
]


@pytest.mark.parametrize(("platform", "change", "message"), BAD, ids=[m for _, _, m in BAD])
def test_a_bad_section_names_the_key(
    monkeypatch: pytest.MonkeyPatch, platform: str, change: dict[str, Any], message: str
) -> None:
    for name in FROM_ENV:
        monkeypatch.delenv(name, raising=False)
    section = {k: v for k, v in {**GOOD[platform], **change}.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        build(platform, section)
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("platform", list(GOOD))
def test_a_bad_key_is_named_through_the_whole_config_file(platform: str) -> None:
    settings = parse({platform: {**GOOD[platform], "tyop": "x"}}, [c.name for c in COMMANDS])
    with pytest.raises(ConfigError, match=rf"^{platform}\.tyop: unknown key"):
        build_platforms(settings)
