"""The matrix: section is checked at load; every error names the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.app import App, build_platforms
from bot.cli import main
from bot.errors import ConfigError, Unauthorized
from bot.platforms.matrix.adapter import MatrixPlatform
from bot.platforms.matrix.state import SyncTokenFile
from bot.settings import parse
from handlers import COMMANDS
from tests.matrix.conftest import World

GOOD: dict[str, Any] = {
    "homeserver": "https://matrix.example.org/",
    "user_id": "@kickbot:example.org",
    "access_token": "syt_secret",
    "sync_token_file": "/var/lib/kickbot/matrix-sync.json",
}


def build(**changes: Any) -> MatrixPlatform:
    section = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    return MatrixPlatform(section)


def test_a_good_section_builds() -> None:
    platform = build()
    assert platform.settings.homeserver == "https://matrix.example.org"
    assert platform.command_prefixes == ("!",)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"acess_token": "x"}, "matrix.acess_token: unknown key"),
        ({"sync_token_file": None}, "matrix.sync_token_file: Field required"),
        ({"homeserver": "matrix.example.org"}, "matrix.homeserver: Value error, must start"),
        ({"user_id": "kickbot"}, "matrix.user_id: Value error, must be a full Matrix user id"),
        ({"password": "pw"}, "matrix.access_token: give exactly one of access_token or password"),
        ({"access_token": None}, "matrix.access_token: give exactly one"),
        ({"timeline_limit": 0}, "matrix.timeline_limit: Input should be greater than or equal"),
    ],
)
def test_errors_name_the_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        build(**changes)
    assert str(err.value).startswith(message)


def test_the_whole_config_file_path_reports_the_key() -> None:
    settings = parse({"matrix": {**GOOD, "sync_tokn_file": "x"}}, [c.name for c in COMMANDS])
    with pytest.raises(ConfigError, match=r"^matrix\.sync_tokn_file: unknown key"):
        build_platforms(settings)


def test_the_sync_position_file_is_tied_to_its_account(tmp_path: Path) -> None:
    path = tmp_path / "state" / "sync.json"
    mine = SyncTokenFile(path, "@kickbot:a.org", "https://a.org")
    assert mine.load() is None
    mine.save("s1_2_3")
    assert mine.load() == "s1_2_3"
    assert SyncTokenFile(path, "@other:a.org", "https://a.org").load() is None
    assert SyncTokenFile(path, "@kickbot:a.org", "https://b.org").load() is None
    path.write_text("not json")
    with pytest.raises(ConfigError, match=r"^matrix\.sync_token_file: .* is not a kickbot"):
        mine.load()


async def test_a_token_for_another_account_is_refused_at_start(world: World) -> None:
    settings = world.settings(world.section(access_token=world.alice.access_token))
    assert settings.matrix is not None
    app = App(settings, {"matrix": MatrixPlatform(settings.matrix)})
    with pytest.raises(ConfigError, match=r"^matrix\.access_token: the token is for @alice"):
        await app.start()
    await app.stop()


async def test_a_revoked_token_is_a_clear_error(world: World) -> None:
    settings = world.settings(world.section(access_token="syt_nope"))
    assert settings.matrix is not None
    platform = MatrixPlatform(settings.matrix)

    async def sink(_: object) -> None:
        return None

    with pytest.raises(Unauthorized, match=r"^M_UNKNOWN_TOKEN: "):
        await platform.start(sink)


def test_the_example_config_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATRIX_ACCESS_TOKEN", "syt_example")
    example = Path(__file__).resolve().parents[2] / "config" / "matrix.example.yaml"
    result = CliRunner().invoke(main, ["check-config", str(example)])
    assert result.exit_code == 0, result.output
    assert "OK (platforms: matrix)" in result.output
