"""The platforms' registry; their adapters are imported only when their section is in the config
(SDKs are heavy): a package's ``__init__`` declares its ``PLUGIN`` (``bot.plugin``) and imports
nothing else."""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.errors import MissingExtra
from bot.platform import Platform
from bot.platforms import chime, chime_sdk, matrix, rocketchat, slack, symphony
from bot.plugin import Registry

PLUGINS = Registry(
    symphony.PLUGIN,
    slack.PLUGIN,
    rocketchat.PLUGIN,
    chime.PLUGIN,
    matrix.PLUGIN,
    chime_sdk.PLUGIN,
)
"""Every platform kickbot has: one line each (its package declares the rest)."""

FACTORIES: dict[str, str] = {plugin.name: plugin.factory for plugin in PLUGINS}

EXTRAS: dict[str, str] = {plugin.name: plugin.extra for plugin in PLUGINS}
"""The pip extra (pyproject.toml's optional-dependencies) that brings each platform's SDK."""

TESTING_EXTRA = "testing"
"""The emulated servers of ``kickbot demo`` and the tests."""

_OWN = ("bot", "handlers")


def build(name: str, section: dict[str, Any]) -> Platform:
    module_name, _, attr = FACTORIES[name].partition(":")
    module = import_with_extras(module_name, [EXTRAS[name]])
    factory = getattr(module, attr)
    platform: Platform = factory(section)
    return platform


def import_with_extras(module_name: str, extras: Sequence[str]) -> ModuleType:
    """Import one of kickbot's modules that needs these extras; a third-party module missing
    means an extra is not installed: ``MissingExtra`` says which, with the command that
    installs it (kickbot's own modules missing is a bug, and raised as it is)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if not missing or missing.partition(".")[0] in _OWN:
            raise
        extras = _not_installed(extras) or extras
        names = " and ".join(extras)
        plural = "s" if len(extras) > 1 else ""
        raise MissingExtra(
            f"the {names} extra{plural} of kickbot {'are' if plural else 'is'} not installed"
            f" (no module named {missing}); install {'them' if plural else 'it'} with:"
            f" {install_command(extras)}"
        ) from None


_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([\w.-]+)["']""")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _not_installed(extras: Sequence[str]) -> list[str]:
    """Those of the extras with a requirement not installed (per kickbot's own metadata)."""
    try:
        requirements = metadata.requires("kickbot") or []
    except metadata.PackageNotFoundError:
        return []
    absent = []
    for extra in extras:
        for requirement in requirements:
            spec, _, marker = requirement.partition(";")
            found = _EXTRA_MARKER.search(marker)
            name = _NAME.match(spec.strip())
            if found is None or found.group(1) != extra or name is None:
                continue
            try:
                metadata.version(name.group(0))
            except metadata.PackageNotFoundError:
                absent.append(extra)
                break
    return absent


def install_command(extras: Sequence[str]) -> str:
    """The pip command that adds these extras to this very installation of kickbot: the same
    Python, and the same checkout (``-e``) or wheel it was installed from."""
    spec = ",".join(extras)
    pip = _shown(Path(sys.executable).parent / "pip")
    if not Path(pip).exists():
        pip = f"{shlex.quote(sys.executable)} -m pip"
    source, editable = _installed_from()
    if source is None:
        return f"{pip} install {shlex.quote(f'kickbot[{spec}]')}"
    target = shlex.quote(f"{_shown(source)}[{spec}]")
    return f"{pip} install {'-e ' if editable else ''}{target}"


def _installed_from() -> tuple[Path | None, bool]:
    """Where kickbot was installed from (PEP 610's direct_url.json), and whether editable."""
    try:
        text = metadata.distribution("kickbot").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        text = None
    if text:
        try:
            info = json.loads(text)
            parts = urlsplit(str(info["url"]))
        except (ValueError, KeyError, TypeError):
            parts = None
        if parts is not None and parts.scheme == "file":
            editable = bool((info.get("dir_info") or {}).get("editable"))
            return Path(unquote(parts.path)), editable
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():  # run from a checkout without installing
        return checkout, True
    return None, False


def _shown(path: Path) -> str:
    """A path as the person would type it here: relative below the working directory."""
    try:
        relative = Path(os.path.relpath(path))
    except ValueError:
        return str(path)
    if relative.parts[:1] == ("..",):
        return str(path)
    return str(relative)
