"""The slack: section's secrets from Bolt's environment variables (a bad key:
``tests/contract/test_config_platforms.py``); the shipped manifest and vendored spec stay in
step with what the adapter needs."""

from __future__ import annotations

import pytest
import yaml

from bot.app import build_platforms
from bot.platforms.slack.adapter import SlackPlatform
from bot.settings import parse
from bot.testing.slack.demo import manifest_commands
from bot.testing.slack.workspace import DEFAULT_SCOPES
from handlers import COMMANDS
from tests.slack.conftest import MANIFEST, ROOT, manifest_scopes


def test_secrets_may_come_from_bolts_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    settings = parse({"slack": {"mode": "http"}}, [c.name for c in COMMANDS])
    platform = build_platforms(settings)["slack"]
    assert isinstance(platform, SlackPlatform)
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


def test_the_manifest_registers_every_command_and_asks_for_what_the_adapter_uses() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    registered = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert sorted(registered) == sorted("/" + name for name in commands_on_slack())
    assert {c.name for c in COMMANDS} - commands_on_slack() == {"ib-remove"}
    # the demo delivers exactly these as slash commands
    assert manifest_commands() == tuple(registered)
    for command in manifest["features"]["slash_commands"]:
        assert command["should_escape"] is True  # mentions arrive as <@U…|name>
        assert command["url"].endswith("/slack/events")
        assert 0 < len(command["description"]) <= 100
    # The double grants exactly the manifest's scopes in every test, so a missing one fails them.
    assert manifest_scopes() == DEFAULT_SCOPES
    assert {"channels:manage", "groups:write", "users:read", "users:read.email"} <= DEFAULT_SCOPES
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]


def test_vendored_spec_is_the_official_one() -> None:
    shared = ROOT.parent / "shared" / "specs" / "oas3" / "slack_web_openapi_v2.patched.oas3.json"
    if not shared.is_file():
        pytest.skip("../shared/specs is not beside the project")
    ours = ROOT / "bot/testing/specs/slack_web_openapi_v2.patched.oas3.json"
    assert ours.read_bytes() == shared.read_bytes()
