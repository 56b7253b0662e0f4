"""The chime: section is validated at load, errors name the key; credentials the botocore way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.errors import ConfigError
from bot.model import RoomRef
from bot.platforms import build
from bot.platforms.chime.adapter import ChimePlatform
from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import DESK


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"acount_id": "x"}, "chime.acount_id: unknown key"),
        ({"account_id": None}, "chime.account_id: required"),
        ({"bot_id": None}, "chime.bot_id: required"),
        ({"bot_email": "kickbot"}, "chime.bot_email: Value error, must be an e-mail address"),
        ({"listen_port": 70000}, "chime.listen_port: Input should be less than or equal to 65535"),
        ({"path": "chime"}, "chime.path: Value error, must start with /"),
        ({"endpoint_url": "chime.example"}, "chime.endpoint_url: Value error, must be an http(s)"),
        ({"page_size": 100}, "chime.page_size: Input should be less than or equal to 99"),
        ({"resolve_timeout_seconds": 2.5}, "chime.resolve_timeout_seconds: Input should be less"),
        ({"reply_interval_seconds": 0.5}, "chime.reply_interval_seconds: Input should be greater"),
        ({"bot_security_token": None}, "chime.bot_security_token: required (or set CHIME_BOT_"),
    ],
)
def test_bad_section_names_the_key(
    chime: ChimeDouble, change: dict[str, Any], message: str
) -> None:
    section = {k: v for k, v in {**chime.config(), **change}.items() if v is not None}
    with pytest.raises(ConfigError) as err:
        build("chime", section)
    assert message in str(err.value)


async def test_security_token_from_the_environment(
    chime: ChimeDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIME_BOT_SECURITY_TOKEN", chime.security_token)
    section = chime.config()
    del section["bot_security_token"]
    platform = build("chime", section)
    assert isinstance(platform, ChimePlatform)
    assert platform.settings.token == chime.security_token


def test_no_aws_credentials_is_a_config_error(
    chime: ChimeDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ConfigError) as err:
        build("chime", chime.config())
    assert "chime: no AWS credentials found" in str(err.value)


def test_unknown_profile_names_the_key(chime: ChimeDouble) -> None:
    with pytest.raises(ConfigError) as err:
        build("chime", chime.config(profile="no-such-profile"))
    assert "chime.profile:" in str(err.value)
    assert "no-such-profile" in str(err.value)


async def test_credentials_from_a_profile_sign_the_calls(
    chime: ChimeDouble, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[kickbot]\naws_access_key_id = {chime.access_key}\n"
        f"aws_secret_access_key = {chime.secret_key}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    platform = ChimePlatform(chime.config(profile="kickbot"))

    async def sink(_: object) -> None:
        raise AssertionError("no event expected")

    await platform.start(sink)
    try:
        info = await platform.room_info(RoomRef(DESK))
    finally:
        await platform.stop()
        await platform.close()
    assert info.name == "Trading Desk"
    assert [c.status for c in chime.calls("GetRoom")] == [200]  # the double checked SigV4
