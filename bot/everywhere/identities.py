"""The identity map file: who a person (by e-mail address) is on platforms that show no e-mail.

Matrix ids and Amazon Chime ARNs carry no e-mail address a bot can look up, so an all-platform
offboarding finds the person there through this file (``offboarding.identity_map``). YAML, an
e-mail address to the person's id per platform::

    bob@example.com:
      matrix: "@bob:example.org"
      chime: arn:aws:chime:us-east-1:111122223333:app-instance/abc/user/bob

or CSV with the header ``email,platform,id`` (one row per person and platform). The file is
hostile input like any other: every entry is checked (an e-mail address, a platform kickbot
knows, an id of printable text without spaces, no person named twice for one platform with
two ids), and one bad entry refuses the whole file, naming its line or key.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.errors import ConfigError
from bot.platforms import PLUGINS

MAX_BYTES = 16 * 1024 * 1024
"""A larger file is refused (a directory export of a large company is far smaller)."""
MAX_ID = 512
"""The longest id accepted (a Chime ARN is about 150 characters)."""

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_ID = re.compile(r"^[!-~]+$")  # printable ASCII, no space
"""Ids are the platforms' own: Matrix ``@local:server``, ARNs, numbers; none has a space or
a character outside printable ASCII, so anything else is a mistake or an attack."""


@dataclass(frozen=True, slots=True)
class IdentityMap:
    """E-mail address (lower-cased) -> platform -> the person's id there."""

    ids: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def id_on(self, email: str, platform: str) -> str | None:
        return self.ids.get(email.lower(), {}).get(platform)

    def __len__(self) -> int:
        return len(self.ids)


def load(path: str | Path) -> IdentityMap:
    """The identity map in ``path`` (``.csv``: CSV; anything else: YAML). Raises ConfigError
    naming every bad entry."""
    where = Path(path)
    try:
        with where.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"offboarding.identity_map: cannot read {where}: {exc.strerror}") from exc
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"offboarding.identity_map: {where} is over {MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"offboarding.identity_map: {where} is not UTF-8 text") from exc
    if where.suffix.lower() == ".csv":
        return parse_csv(text, str(where))
    return parse_yaml(text, str(where))


def parse_yaml(text: str, source: str = "identity map") -> IdentityMap:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        return IdentityMap()
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of e-mail address -> platform -> id")
    rows: list[tuple[str, object, object, object]] = []
    problems: list[str] = []
    for email, per_platform in data.items():
        if not isinstance(per_platform, dict):
            problems.append(f"{source}: {_shown(email)}: expected a mapping of platform -> id")
            continue
        for platform, user_id in per_platform.items():
            rows.append((f"{source}: {_shown(email)}.{_shown(platform)}", email, platform, user_id))
    return _built(rows, problems)


def parse_csv(text: str, source: str = "identity map") -> IdentityMap:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return IdentityMap()
    if [h.strip().lower() for h in header] != ["email", "platform", "id"]:
        raise ConfigError(f"{source}: line 1: the header must be email,platform,id")
    rows: list[tuple[str, object, object, object]] = []
    problems: list[str] = []
    for number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 3:
            problems.append(f"{source}: line {number}: expected 3 fields, found {len(row)}")
            continue
        rows.append((f"{source}: line {number}", row[0].strip(), row[1].strip(), row[2].strip()))
    return _built(rows, problems)


def _built(rows: Iterable[tuple[str, object, object, object]], problems: list[str]) -> IdentityMap:
    known = set(PLUGINS.names)
    ids: dict[str, dict[str, str]] = {}
    for where, email, platform, user_id in rows:
        if not isinstance(email, str) or not _EMAIL.match(email) or len(email) > 254:
            problems.append(f"{where}: {_shown(email)} is not an e-mail address")
            continue
        if not isinstance(platform, str) or platform not in known:
            names = ", ".join(sorted(known))
            problems.append(f"{where}: {_shown(platform)} is not a platform (one of {names})")
            continue
        if not isinstance(user_id, str | int) or isinstance(user_id, bool):
            problems.append(f"{where}: the id must be text")
            continue
        value = str(user_id)
        if not _ID.match(value) or len(value) > MAX_ID:
            problems.append(
                f"{where}: {_shown(value)} is not an id (printable text without spaces,"
                f" at most {MAX_ID} characters)"
            )
            continue
        person = ids.setdefault(email.lower(), {})
        if person.get(platform, value) != value:
            problems.append(f"{where}: {email.lower()} has two {platform} ids")
            continue
        person[platform] = value
    if problems:
        raise ConfigError(*problems)
    return IdentityMap(ids)


def _shown(value: object) -> str:
    """A key or value as a problem names it: short, and without control characters."""
    text = repr(value) if not isinstance(value, str) else value
    text = "".join(c if c.isprintable() else "\ufffd" for c in text)
    return text if len(text) <= 80 else text[:77] + "..."
