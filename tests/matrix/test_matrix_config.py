"""The matrix: section at load and at start (a bad key: ``tests/contract/test_config_platforms``):
the sync position file, the token's account, the example config."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import App
from bot.cli import main
from bot.errors import ConfigError, Unauthorized
from bot.platforms.matrix.adapter import MatrixPlatform
from bot.platforms.matrix.state import SyncTokenFile
from tests.contract.test_config_platforms import GOOD as CONFIG
from tests.matrix.conftest import World

GOOD = CONFIG["matrix"]


def test_a_good_section_builds() -> None:
    platform = MatrixPlatform(GOOD)
    assert platform.settings.homeserver == "https://matrix.example.org"
    assert platform.command_prefixes == ("!",)


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
