"""Everything ``kickbot run`` needs from its config file, checked before anything connects.

``kickbot check-config`` and ``kickbot run`` both start here, so a file that checks is a file
that runs: the file is read, every key and value checked, each ``${VAR}`` set, the store's URL
one kickbot can use (and an SQLite file's directory there), at least one platform, each
platform's section checked by its adapter (its SDK installed, its required keys, its files
readable). Every problem is reported in one go, each as ``FILE: KEY: what is wrong``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import platforms as platform_factories
from bot.errors import ConfigError, MissingExtra
from bot.ops.settings import OPS_EXTRAS
from bot.platform import Platform
from bot.settings import PLATFORM_SECTIONS, Settings, check
from bot.store.url import parse_url
from bot.streaming.settings import STREAM_EXTRAS

_PLATFORM_LIST = ", ".join(PLATFORM_SECTIONS[:-1]) + " or " + PLATFORM_SECTIONS[-1]


@dataclass
class Checked:
    """A config file as ``run`` would start from it."""

    source: str
    settings: Settings | None = None
    platforms: dict[str, Platform] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """Each ``FILE: KEY: what is wrong``; none means ``run`` has all it needs to connect."""

    @property
    def ok(self) -> bool:
        return not self.problems and self.settings is not None


def check_file(path: Path, known_commands: Iterable[str]) -> Checked:
    """Read and check a config file; build (without connecting) each platform it enables."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Checked(source, problems=[f"cannot read config file {path}: {exc.strerror}"])
    except UnicodeDecodeError:
        return Checked(source, problems=[f"{path}: not a text file (YAML, UTF-8)"])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return Checked(source, problems=[f"{path}: not valid YAML: {exc}"])
    if data is None:
        return Checked(
            source,
            problems=[
                f"{path}: the file is empty; kickbot needs at least a platform's section"
                f" ({_PLATFORM_LIST}): see config/kickbot.yaml"
            ],
        )
    return check_data(data, known_commands, source)


def check_data(data: Any, known_commands: Iterable[str], source: str) -> Checked:
    parsed = check(data, known_commands)
    problems = list(parsed.problems)
    store = parsed.data.get("store", Settings.model_fields["store"].default)
    if isinstance(store, str) and not parsed.concerns_unset("store: "):
        problems += store_problems(store)
    built: dict[str, Platform] = {}
    named = [name for name in PLATFORM_SECTIONS if name in parsed.data]
    for name in named:
        section = parsed.data[name]
        if section is None:
            problems.append(
                f"{name}: the section is empty (give {name}'s settings, or leave it out)"
            )
        elif isinstance(section, dict):  # otherwise the settings' check said so
            try:
                built[name] = platform_factories.build(name, section)
            except MissingExtra as exc:
                problems.append(f"{name}: {exc}")
            except ConfigError as exc:
                problems += [p for p in exc.problems if not parsed.concerns_unset(p)]
    if parsed.settings is not None:
        problems += audit_problems(parsed.settings)
        if parsed.settings.scim is not None:
            try:  # its server and SCIM libraries: the scim extra
                platform_factories.import_with_extras("bot.scim.everywhere", ["scim"])
            except MissingExtra as exc:
                problems.append(f"scim: {exc}")
        if any(s.type == "splunk_hec" for s in parsed.settings.audit_sinks):
            try:  # httpx: the stream extra
                platform_factories.import_with_extras("bot.streaming.hec", STREAM_EXTRAS)
            except MissingExtra as exc:
                problems.append(f"audit_sinks: {exc}")
        if parsed.settings.http is not None:
            try:  # aiohttp and prometheus-client: the ops extra
                platform_factories.import_with_extras("bot.ops.server", OPS_EXTRAS)
            except MissingExtra as exc:
                problems.append(f"http: {exc}")
    if isinstance(data, dict) and not named:
        problems.append(
            f"no platform configured: add a section for one of {_PLATFORM_LIST}"
            " (see config/kickbot.yaml)"
        )
    return Checked(
        source,
        settings=parsed.settings if not problems else None,
        platforms=built if not problems else {},
        problems=[f"{source}: {p}" for p in problems],
    )


def store_problems(url: str) -> list[str]:
    """A store URL kickbot can open: a supported kind and, for SQLite, a file it can create or
    write (PostgreSQL is only reached when ``run`` connects)."""
    try:
        parsed = parse_url(url)
    except ConfigError as exc:
        return list(exc.problems)
    if parsed.backend != "sqlite":
        return []
    if parsed.path == ":memory:":
        return [f"store: {url} is a database in memory: give the SQLite file a path"]
    file = Path(parsed.path)
    directory = file.parent
    if file.exists():
        if not file.is_file():
            return [f"store: {url}: {file} is not a file"]
        if not os.access(file, os.R_OK | os.W_OK):
            return [f"store: {url}: {file} is not readable and writable"]
    elif not directory.is_dir():
        return [f"store: {url}: the directory {directory} does not exist"]
    if not os.access(directory, os.W_OK | os.X_OK):
        return [f"store: {url}: cannot write in {directory} (SQLite keeps its journal there)"]
    return []


def audit_problems(settings: Settings) -> list[str]:
    """The audit head file: a directory kickbot may write in, and, if the file is there, a
    head kickbot wrote."""
    if not settings.audit_head_file:
        return []
    from bot.audit import HeadFile

    head = HeadFile(Path(settings.audit_head_file))
    try:
        head.check_writable()
        head.read()
    except ConfigError as exc:
        return [
            p if p.startswith("audit_head_file:") else f"audit_head_file: {p}" for p in exc.problems
        ]
    return []
