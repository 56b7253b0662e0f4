from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.errors import ConfigError
from bot.platforms.symphony.adapter import SymphonyPlatform
from bot.settings import parse
from handlers import COMMANDS
from tests.kit import AWS_ENV
from tests.test_check_config import rsa_pem

KNOWN = [c.name for c in COMMANDS]
BDK = {"host": "pod.example.com", "bot": {"username": "kickbot", "privateKey": {"path": "k.pem"}}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stor": "x"}, "stor: unknown key"),
        ({"policy": {"comands": {}}}, "policy.comands: unknown key"),
        ({"policy": {"commands": {"kick": {"room_owner": True}}}}, "kick.room_owner: unknown key"),
        ({"policy": {"commands": {"kik": {}}}}, "policy.commands.kik: unknown command"),
        ({"mention_required": "perhaps"}, "mention_required: Input should be a valid boolean"),
        ({"store": "${KICKBOT_NO_SUCH_VAR}"}, "KICKBOT_NO_SUCH_VAR is not set"),
    ],
    ids=["top", "policy", "rule", "command", "type", "env"],
)
def test_bad_config_names_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(data, KNOWN)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({**BDK, "datafeed": {"retry": {}}}, "symphony.datafeed.version: required"),
        ({**BDK, "datafeed": {"version": "v1"}}, "needs datafeed v2"),
        ({**BDK, "agnet": {}}, "symphony.agnet: unknown key"),
        ({"host": "x"}, "symphony.bot.username: required"),
    ],
    ids=["no-version", "v1", "typo", "no-bot"],
)
def test_bad_symphony_section(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        SymphonyPlatform(section)
    assert message in str(err.value)


def test_environment_fills_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KICKBOT_TEST_KEY", "/secret/key.pem")
    settings = parse(
        {
            "symphony": {
                **BDK,
                "bot": {"username": "k", "privateKey": {"path": "${KICKBOT_TEST_KEY}"}},
            }
        },
        KNOWN,
    )
    assert settings.symphony is not None
    assert settings.symphony["bot"]["privateKey"]["path"] == "/secret/key.pem"


AWS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
EXAMPLES: dict[str, tuple[str, dict[str, str]]] = {
    "symphony": ("kickbot.yaml", {"SYMPHONY_HOST": "acme.symphony.com"}),
    "slack": ("slack.example.yaml", {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}),
    "rocketchat": (
        "rocketchat.example.yaml",
        {f"ROCKETCHAT_{k}": "x" for k in ("USER_ID", "AUTH_TOKEN", "WEBHOOK_TOKEN")},
    ),
    "chime": (
        "chime.example.yaml",
        {
            **AWS,
            "CHIME_ACCOUNT_ID": "a1b2c3d4-0000-4000-8000-00000000acc7",
            "CHIME_BOT_ID": "b0b0b0b0-0000-4000-8000-00000000b07a",
            "CHIME_BOT_EMAIL": "kickbot@example.com",
            "CHIME_BOT_SECURITY_TOKEN": "token",
        },
    ),
    "chime_sdk": ("chime_sdk.example.yaml", AWS),
}
"""Each platform's example config in config/, and what it reads from the environment."""


@pytest.mark.parametrize("platform", list(EXAMPLES))
def test_each_platforms_example_config_checks(
    platform: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = tmp_path / "kickbot.pem"
    key.write_bytes(rsa_pem())
    for name in (*AWS_ENV, "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    example, env = EXAMPLES[platform]
    for name, value in {**env, "SYMPHONY_BOT_USERNAME": "kickbot"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SYMPHONY_BOT_KEY_PATH", str(key))
    monkeypatch.chdir(tmp_path)  # the shipped store, sqlite:///kickbot.db, is made here
    root = Path(__file__).parent.parent
    result = CliRunner().invoke(main, ["check-config", str(root / "config" / example)])
    assert result.exit_code == 0, result.output
    assert f"OK (platforms: {platform})" in result.output


def test_policy_example_is_valid() -> None:
    import yaml

    root = Path(__file__).parent.parent
    data = yaml.safe_load((root / "config/policy.example.yaml").read_text())
    settings = parse(data, KNOWN)
    assert settings.policy.rule("ib-remove").users == ["349026222344891", "it.admin@example.com"]
