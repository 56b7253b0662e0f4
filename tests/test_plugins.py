"""One platform = one package: its ``PLUGIN`` is the only declaration, and what lists platforms
(import-linter's contracts, the extras, the demos) agrees with the registry."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.platforms import PLUGINS
from bot.plugin import Plugin

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONTRACTS: list[dict[str, Any]] = PYPROJECT["tool"]["importlinter"]["contracts"]
CORE_CONTRACT = "core and handlers know no platform SDK"


def test_every_platform_package_is_registered() -> None:
    packages = {
        p.name for p in (ROOT / "bot" / "platforms").iterdir() if (p / "__init__.py").is_file()
    }
    assert packages == set(PLUGINS.names)
    for plugin in PLUGINS:
        module = importlib.import_module(f"bot.platforms.{plugin.name}")
        assert module.PLUGIN is plugin


def test_the_cores_forbidden_sdks_are_the_plugins_sdk_modules() -> None:
    (core,) = [c for c in CONTRACTS if c["name"] == CORE_CONTRACT]
    forbidden = {m for m in core["forbidden_modules"] if not m.startswith("bot.")}
    assert forbidden == PLUGINS.sdk_modules()
    assert "bot.platforms.*.*" in core["forbidden_modules"]


def test_the_packages_independence_contract_lists_every_platform() -> None:
    (independence,) = [c for c in CONTRACTS if c["type"] == "independence"]
    assert independence["modules"] == [f"bot.platforms.{p.name}" for p in PLUGINS]


def test_each_plugin_names_an_extra_of_kickbot() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    for plugin in PLUGINS:
        assert plugin.extra in extras
    dev = extras["dev"][0]  # kickbot[every platform's extra, testing]
    assert dev.startswith("kickbot[")
    assert {p.extra for p in PLUGINS} <= set(dev.removeprefix("kickbot[").rstrip("]").split(","))


PROBE = """
import importlib, json, sys
sdks = {sdks}
importlib.import_module("bot.platforms.{name}")
bare = sorted(m for m in sdks if m in sys.modules)
module, _, attribute = "{factory}".partition(":")
factory = getattr(importlib.import_module(module), attribute)
module, _, attribute = "{settings_model}".partition(":")
model = getattr(importlib.import_module(module), attribute)
demo = importlib.import_module("{demo}")
print(json.dumps({{
    "bare": bare,
    "adapter": sorted(m for m in sdks if m in sys.modules),
    "factory": factory.__name__,
    "model": isinstance(model, type),
    "demo": callable(getattr(demo, "run_demo", None)),
}}))
"""


@pytest.mark.parametrize("plugin", list(PLUGINS), ids=PLUGINS.names)
def test_a_package_alone_imports_no_sdk_and_its_paths_resolve(plugin: Plugin) -> None:
    """Importing ``bot.platforms.<name>`` (and with it the registry) brings no SDK; the lazy
    paths it declares resolve, and its adapter does use each SDK module it declares."""
    probe = PROBE.format(
        sdks=sorted(PLUGINS.sdk_modules()),
        name=plugin.name,
        factory=plugin.factory,
        settings_model=plugin.settings_model,
        demo=plugin.demo,
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    assert found["bare"] == []
    assert set(plugin.sdk_modules) <= set(found["adapter"])
    assert found["factory"] == plugin.factory.rpartition(":")[2]
    assert found["model"]
    assert found["demo"]


def test_the_config_sections_and_pace_platforms_are_the_registrys() -> None:
    from bot.settings import check

    sections = {plugin.name: {"key": plugin.name} for plugin in PLUGINS}
    parsed = check({**sections, "teams": {}}, ["kick"])
    assert parsed.problems == ["teams: unknown key"]
    parsed = check(sections, ["kick"])
    assert parsed.settings is not None
    assert parsed.settings.enabled_platforms() == list(PLUGINS.names)
    for plugin in PLUGINS:
        assert getattr(parsed.settings, plugin.name) == {"key": plugin.name}
    pace = {"platform": "teams", "above_members": 1, "interval_seconds": 1}
    parsed = check({"bulk": {"paces": [pace]}}, ["kick"])
    names = [repr(name) for name in PLUGINS.names]
    assert parsed.problems == [
        f"bulk.paces.0.platform: Input should be {', '.join(names[:-1])} or {names[-1]}"
    ]


def test_display_names_and_demos_come_from_the_plugins() -> None:
    from bot.cli import DEMOS, demo, offboard
    from bot.replies.wording import platform_name

    assert {plugin.name: plugin.demo for plugin in PLUGINS} == DEMOS
    for command, besides in ((demo, set()), (offboard, {"all"})):
        (option,) = [p for p in command.params if p.name == "platform"]
        choices = set(option.type.choices)  # type: ignore[attr-defined]
        assert choices == set(PLUGINS.names) | besides
    assert [platform_name(p.name) for p in PLUGINS] == [p.display_name for p in PLUGINS]
    assert platform_name("rocketchat") == "Rocket.Chat"
