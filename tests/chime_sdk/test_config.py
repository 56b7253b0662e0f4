"""The ``chime_sdk:`` section: each ARN's shape is checked, and ``kickbot check-config`` says
which one is wrong and what it must look like."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.errors import ConfigError
from bot.platforms.chime_sdk.config import load_settings

INSTANCE = "arn:aws:chime:us-east-1:111122223333:app-instance/a1b2c3d4-5678-4e90-8abc-0000000c4a7e"
BOT = INSTANCE + "/user/kickbot"


def section(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"app_instance_arn": INSTANCE, "bot_arn": BOT}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_good_section_and_its_defaults() -> None:
    settings = load_settings(section())
    assert settings.signing_region == "us-east-1"
    assert settings.endpoint_url is None
    assert settings.member_arn("bob") == INSTANCE + "/user/bob"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"app_instance_arn": "arn:aws:chime:us-east-1:111122223333:channel/x"},
            "chime_sdk.app_instance_arn: 'arn:aws:chime:us-east-1:111122223333:channel/x' is not"
            " an AppInstance ARN (arn:aws:chime:<region>:<12-digit account>:app-instance/<id>)",
        ),
        (
            {"app_instance_arn": INSTANCE.replace("111122223333", "1111")},
            "is not an AppInstance ARN",
        ),
        (
            {"bot_arn": INSTANCE + "/bot/kickbot"},
            "chime_sdk.bot_arn: '" + INSTANCE + "/bot/kickbot' is not an AppInstanceUser ARN"
            " (arn:aws:chime:<region>:<12-digit account>:app-instance/<id>/user/"
            "<AppInstanceUserId>)",
        ),
        ({"bot_arn": INSTANCE + "/user/-bad-"}, "is not an AppInstanceUser ARN"),
        (
            {"bot_arn": BOT.replace("a1b2c3d4", "ffffffff")},
            "chime_sdk.bot_arn: the user belongs to app-instance/ffffffff-5678-4e90-8abc-"
            "0000000c4a7e in us-east-1, not to app_instance_arn's app-instance/a1b2c3d4-5678-"
            "4e90-8abc-0000000c4a7e in us-east-1",
        ),
        (
            {"region": "eu-central-1"},
            "chime_sdk.region: 'eu-central-1', but the AppInstance is in 'us-east-1'",
        ),
        ({"endpoint_url": "ftp://x"}, "chime_sdk.endpoint_url: 'ftp://x' is not an http(s) URL"),
        ({"bot_arn": None}, "chime_sdk.bot_arn: required"),
        ({"page_size": 99}, "chime_sdk.page_size: Input should be less than or equal to 50"),
        ({"bot": "x"}, "chime_sdk.bot: unknown key"),
    ],
)
def test_a_bad_section_names_its_key(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(section(**changes))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_check_config_reports_a_bad_arn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    path = tmp_path / "kickbot.yaml"
    bad = section(bot_arn=INSTANCE + "/channel/desk")
    path.write_text(yaml.safe_dump({"store": f"sqlite:///{tmp_path}/k.db", "chime_sdk": bad}))
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 1
    assert "chime_sdk.bot_arn:" in result.output
    assert "is not an AppInstanceUser ARN" in result.output


def test_no_credentials_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    from bot.platforms.chime_sdk.adapter import ChimeSdkPlatform

    with pytest.raises(ConfigError, match=r"chime_sdk: no AWS credentials found"):
        ChimeSdkPlatform(section())
