"""Chime's secrets: the security token from the environment, AWS credentials the botocore way
(a bad ``chime:`` key: ``tests/contract/test_config_platforms.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.model import RoomRef
from bot.platforms import build
from bot.platforms.chime.adapter import ChimePlatform
from bot.testing.chime.double import ChimeDouble
from tests.chime.conftest import DESK


async def test_security_token_from_the_environment(
    chime: ChimeDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHIME_BOT_SECURITY_TOKEN", chime.security_token)
    section = chime.config()
    del section["bot_security_token"]
    platform = build("chime", section)
    assert isinstance(platform, ChimePlatform)
    assert platform.settings.token == chime.security_token


AWS_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


def test_no_aws_credentials_is_a_config_error(
    chime: ChimeDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in AWS_KEYS:
        monkeypatch.delenv(name)
    with pytest.raises(ConfigError, match=r"^chime: no AWS credentials found"):
        build("chime", chime.config())


def test_unknown_profile_names_the_key(chime: ChimeDouble) -> None:
    with pytest.raises(ConfigError, match=r"^chime\.profile: .*no-such-profile"):
        build("chime", chime.config(profile="no-such-profile"))


async def test_credentials_from_a_profile_sign_the_calls(
    chime: ChimeDouble, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in AWS_KEYS:
        monkeypatch.delenv(name)
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
