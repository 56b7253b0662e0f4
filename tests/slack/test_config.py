"""The slack: section is validated by the adapter; every error names the key. The shipped
manifest and example config stay in step with what the adapter needs."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.app import build_platforms
from bot.errors import ConfigError
from bot.platforms.slack.adapter import SlackPlatform
from bot.settings import parse
from bot.testing.slack.demo import manifest_commands
from bot.testing.slack.workspace import DEFAULT_SCOPES
from handlers import COMMANDS
from tests.slack.conftest import MANIFEST, ROOT, manifest_scopes

GOOD: dict[str, Any] = {"mode": "socket", "bot_token": "xoxb-1", "app_token": "xapp-1"}


@pytest.fixture(autouse=True)
def no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(var, raising=False)


def build(section: dict[str, Any]) -> SlackPlatform:
    settings = parse({"slack": section}, [c.name for c in COMMANDS], "cfg")
    platform = build_platforms(settings)["slack"]
    assert isinstance(platform, SlackPlatform)
    return platform


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({**GOOD, "bot_tokn": "x"}, "slack.bot_tokn: unknown key"),
        ({"mode": "socket", "app_token": "xapp-1"}, "slack.bot_token: required (or set SLACK_BOT"),
        ({**GOOD, "mode": "webhook"}, "slack.mode: Input should be 'socket' or 'http'"),
        ({"bot_token": "xoxb-1", "app_token": "xapp-1"}, "slack.mode: Field required"),
        ({**GOOD, "bot_token": "xoxp-1"}, "slack.bot_token: must be the app's bot token"),
        ({"mode": "socket", "bot_token": "xoxb-1"}, "slack.app_token: required in socket mode"),
        ({**GOOD, "app_token": "xoxb-2"}, "slack.app_token: must be an app-level token"),
        ({"mode": "http", "bot_token": "xoxb-1"}, "slack.signing_secret: required in HTTP mode"),
        ({**GOOD, "listen_port": 70000}, "slack.listen_port: Input should be less than or equal"),
        ({**GOOD, "api_base_url": "slack.com/api"}, "slack.api_base_url: must be an http(s) URL"),
    ],
)
def test_errors_name_the_key(section: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build(section)
    assert message in str(err.value)


def test_secrets_may_come_from_bolts_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    platform = build({"mode": "http"})
    assert platform.settings.bot_token.get_secret_value() == "xoxb-from-env"
    assert platform.settings.signing_secret is not None
    assert platform.settings.signing_secret.get_secret_value() == "s3cret"
    assert "xoxb-from-env" not in repr(platform.settings)  # secrets are not printed


def commands_on_slack() -> set[str]:
    """Every command of kickbot that Slack can run or that says why it cannot (``/demote``);
    ``/ib-remove`` (Symphony's Information Barriers) has no meaning there."""
    return {
        c.name
        for c in COMMANDS
        if c.requires is None
        or issubclass(SlackPlatform, c.requires)
        or c.requires in SlackPlatform.unsupported
    }


def test_the_manifest_registers_every_command_kickbot_has_on_slack() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    registered = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert sorted(registered) == sorted("/" + name for name in commands_on_slack())
    assert {c.name for c in COMMANDS} - commands_on_slack() == {"ib-remove"}
    # the demo delivers exactly these as slash commands
    assert manifest_commands() == tuple(registered)
    for command in manifest["features"]["slash_commands"]:
        assert command["should_escape"] is True
        assert command["url"].endswith("/slack/events")
        assert 0 < len(command["description"]) <= 100


def test_the_manifest_asks_for_what_the_adapter_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    # The double grants exactly the manifest's scopes in every test, so a missing one fails them.
    assert manifest_scopes() == DEFAULT_SCOPES
    assert {"channels:manage", "groups:write", "users:read", "users:read.email"} <= DEFAULT_SCOPES
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/" + name for name in commands_on_slack()}
    assert all(c["should_escape"] for c in commands.values())  # mentions arrive as <@U…|name>
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]


def test_vendored_spec_is_the_official_one() -> None:
    shared = ROOT.parent / "shared" / "specs" / "oas3" / "slack_web_openapi_v2.patched.oas3.json"
    if not shared.is_file():
        pytest.skip("../shared/specs is not beside the project")
    ours = ROOT / "bot/testing/specs/slack_web_openapi_v2.patched.oas3.json"
    assert ours.read_bytes() == shared.read_bytes()
