"""A reply as neutral segments. Adapters render it in their own markup and escape
``Untrusted`` text (anything a user typed, any display name) themselves."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.model import UserRef


@dataclass(frozen=True, slots=True)
class Text:
    """kickbot's own words. Still escaped by renderers, but never contains markup."""

    text: str


@dataclass(frozen=True, slots=True)
class Untrusted:
    """Text that came from a user or a platform: always escaped."""

    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """Untrusted text shown as code (usage lines, ids)."""

    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    user: UserRef


Segment = Text | Untrusted | Code | Mention
Line = tuple[Segment, ...]
Reply = tuple[Line, ...]


def line(*parts: Segment | str) -> Line:
    """Build a line; bare strings are kickbot's own text."""
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


def plain(reply: Reply) -> str:
    """Plain-text rendering (audit log, console, tests)."""
    out = []
    for ln in reply:
        parts = []
        for seg in ln:
            if isinstance(seg, Mention):
                parts.append("@" + seg.user.label)
            else:
                parts.append(seg.text)
        out.append("".join(parts))
    return "\n".join(out)


def to_json(reply_line: Line) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for seg in reply_line:
        if isinstance(seg, Mention):
            u = seg.user
            out.append({"mention": {"id": u.id, "display": u.display, "email": u.email}})
        else:
            out.append({type(seg).__name__.lower(): seg.text})
    return out


def from_json(data: list[dict[str, object]]) -> Line:
    kinds: dict[str, type[Text | Untrusted | Code]] = {
        "text": Text,
        "untrusted": Untrusted,
        "code": Code,
    }
    segs: list[Segment] = []
    for d in data:
        ((kind, value),) = d.items()
        if kind == "mention":
            assert isinstance(value, dict)
            segs.append(Mention(UserRef(**value)))
        else:
            segs.append(kinds[kind](str(value)))
    return tuple(segs)


_COMMAND = re.compile(r"(?<![\w/])/(?=[a-z][a-z-]*\b)")


def with_prefix(reply: Reply, prefix: str) -> Reply:
    """Commands are written ``/kick`` in sentences and usage; where the platform's trigger is
    another (Matrix and Rocket.Chat: ``!kick``, since their clients take ``/`` for their own
    commands) code spans show that trigger instead, so what the reply says can be typed."""
    if prefix == "/":
        return reply
    return tuple(
        tuple(Code(_COMMAND.sub(prefix, seg.text)) if isinstance(seg, Code) else seg for seg in ln)
        for ln in reply
    )
