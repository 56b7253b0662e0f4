"""Removal notices on Amazon Chime: a chat bot can answer only in the conversation that called
it (the event's webhook); the API has no call that sends anyone a direct message. With notices
on, the reply says so instead of silently sending nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.platform import SupportsDirectMessage
from bot.platforms.chime.adapter import ChimePlatform
from bot.testing.chime.double import ChimeDouble


def test_the_chime_api_has_no_way_to_message_a_person() -> None:
    """The model kickbot follows: messages only ever go back to a webhook; no operation sends,
    creates a conversation or posts a message (only redactions name messages)."""
    model = Path(__file__).parents[2] / "bot/testing/specs/chime-service-2.json"
    operations = json.loads(model.read_text(encoding="utf-8"))["operations"]
    about_messages = sorted(o for o in operations if "Message" in o or "Conversation" in o)
    assert about_messages == ["RedactConversationMessage", "RedactRoomMessage"]


def test_the_adapter_offers_no_direct_messages() -> None:
    assert not issubclass(ChimePlatform, SupportsDirectMessage)


def test_check_config_warns_that_chime_cannot_notify(
    chime: ChimeDouble, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHIME_ACCOUNT_ID", chime.account_id)
    monkeypatch.setenv("CHIME_BOT_ID", chime.bot.user_id)
    monkeypatch.setenv("CHIME_BOT_EMAIL", chime.bot.email)
    monkeypatch.setenv("CHIME_BOT_SECURITY_TOKEN", chime.security_token)
    example = Path(__file__).parents[2] / "config/chime.example.yaml"
    config = tmp_path / "chime.yaml"
    config.write_text(
        example.read_text(encoding="utf-8") + "\nnotify:\n  removed_users: true\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check-config", str(config)])
    assert result.exit_code == 0, result.output
    assert "OK (platforms: chime)" in result.output
    assert (
        "warning: notify.removed_users is on, but Amazon Chime bots cannot send direct "
        "messages: people removed there are not told (the reply says so)" in result.output
    )
    quiet = CliRunner().invoke(main, ["check-config", str(example)])
    assert "warning" not in quiet.output
