"""A reply as neutral segments. Adapters render it in their own markup and escape
``Untrusted`` text (anything a user typed, any display name) themselves."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from bot.model import UserRef


@dataclass(frozen=True, slots=True)
class _Words:
    """A run of text; its subclass says how a renderer treats it. Segments of two kinds are
    never equal, even with the same text."""

    text: str


class Text(_Words):
    """kickbot's own words. Still escaped by renderers, but never contains markup."""

    __slots__ = ()


class Untrusted(_Words):
    """Text that came from a user or a platform: always escaped."""

    __slots__ = ()


class Code(_Words):
    """Untrusted text shown as code (usage lines, ids)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Mention:
    user: UserRef


Segment = Text | Untrusted | Code | Mention
Line = tuple[Segment, ...]
Reply = tuple[Line, ...]


def line(*parts: Segment | str) -> Line:
    """Build a line; bare strings are kickbot's own text."""
    return tuple(Text(p) if isinstance(p, str) else p for p in parts)


def unmentioned(reply: Reply) -> Reply:
    """``reply`` with each mention written as the person's name: for a platform where the
    person is no user (a caller outside chat, someone on another platform)."""
    return tuple(
        tuple(Untrusted(s.user.label) if isinstance(s, Mention) else s for s in ln) for ln in reply
    )


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


# --- what any rendering shows of text it did not write ------------------------------------------

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Unicode's embedding, override and isolate controls (LRE RLE PDF LRO RLO, LRI RLI FSI PDI):
typed into a reason or a display name they would reorder the rest of kickbot's line as it is
displayed ("Trojan Source")."""
_UNSHOWABLE = re.compile(
    "[\u202a-\u202e\u2066-\u2069\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\ud800-\udfff]"
)
REPLACEMENT = "\ufffd"


def _visible(found: re.Match[str]) -> str:
    char = found.group(0)
    if char in BIDI_CONTROLS:
        return f"\u27e8U+{ord(char):04X}\u27e9"
    return REPLACEMENT


def showable(text: str) -> str:
    """``text`` as a reply may show it: each bidirectional control becomes visible as
    ``⟨U+202E⟩`` (it reorders nothing, the reader sees that it was there, and no platform's
    markup takes these angle brackets for its own); other control characters (C0 but tab and
    line breaks, DEL, C1: a NUL, a terminal escape) and surrogates that encode no character (a
    lone ``\\ud800`` from JSON: UTF-8 cannot carry it) become U+FFFD. The rest is kept."""
    if _UNSHOWABLE.search(text) is None:
        return text
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _UNSHOWABLE.sub(_visible, joined)


def showable_reply(reply: Reply) -> Reply:
    """``reply`` with every text ``showable``: kickbot's words, user text, code and the
    names of mentioned users (each renderer calls it first, so it holds on every platform)."""
    return tuple(tuple(_showable_segment(seg) for seg in ln) for ln in reply)


def _showable_segment(seg: Segment) -> Segment:
    if isinstance(seg, Mention):
        user = seg.user
        display = showable(user.display) if user.display is not None else None
        email = showable(user.email) if user.email is not None else None
        if display == user.display and email == user.email:
            return seg
        return Mention(dataclasses.replace(user, display=display, email=email))
    text = showable(seg.text)
    return seg if text == seg.text else type(seg)(text)
