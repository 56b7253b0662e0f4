"""What reverses one change a command made, as a typed value (for /undo).

A command's handler returns a step with each change it makes (``ItemResult.undo``); the store
keeps it as JSON in ``results.undo``; ``handlers.undo`` matches the step types exhaustively.
A command declares the step types it records (``Command.undo_steps``).

The JSON is the tagged form earlier releases wrote (``{"op": "add", "owner": true}``), so
stores written by them read back as typed steps, and a release rolled back still reads what
this one wrote: a field is written only when set, so a step uses a field an earlier release lacks
only when it says something that release would get wrong (``Readd.kind``: a hidden membership),
and that release keeps it unread. Anything else read back is ``Unreadable``: kept as written,
never acted on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, assert_never


@dataclass(frozen=True, slots=True)
class Readd:
    """Put the person back in the room (and make them an owner again if they were one)."""

    owner: bool
    room: str | None = None
    """The room's id; None: the case's own room."""
    name: str | None = None
    """The room's name, for the undo's lines, when it is not the case's own room."""
    user: str | None = None
    """The person's own id, when the journal's id is scoped (offboarding: ``room/user``)."""
    platform: str | None = None
    """The platform of the room, when the case acted on several (an all-platform
    offboarding); None: the case's own."""
    kind: str | None = None
    """The kind of membership they had (``Member.kind``); None: the usual. Written only when
    set: a step without it is what earlier releases wrote, and one with it is ``Unreadable``
    to them (never acted on, rather than putting the person back as another kind)."""


@dataclass(frozen=True, slots=True)
class Repromote:
    """Make the person an owner of the case's room again."""

    level: int | None = None
    """The owner level taken away (Matrix power levels); None: the platform's owner role."""


@dataclass(frozen=True, slots=True)
class IbReadd:
    """Put the person back in an Information Barrier group."""

    group: str
    user: str | None = None
    """The person's own id, when the journal's id is scoped (offboarding: ``group/user``)."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Undo data this release cannot read (written by a newer release, or damaged): kept as
    written, never acted on."""

    text: str


UndoStep = Readd | Repromote | IbReadd
"""The steps a command records."""

StoredStep = UndoStep | Unreadable
"""A step as read back from the store."""

_OPS = {Readd: "add", Repromote: "promote", IbReadd: "ib-add"}


def to_json(step: UndoStep) -> dict[str, Any]:
    """The tagged JSON object for ``step``: its ``op`` and the fields that are set."""
    match step:
        case Readd(owner=owner, room=room, name=name, user=user, platform=platform, kind=kind):
            fields: dict[str, Any] = {
                "owner": owner, "room": room, "name": name, "user": user, "platform": platform,
                "kind": kind,
            }  # fmt: skip
        case Repromote(level=level):
            fields = {"level": level}
        case IbReadd(group=group, user=user):
            fields = {"group": group, "user": user}
        case _:
            assert_never(step)
    return {"op": _OPS[type(step)], **{k: v for k, v in fields.items() if v is not None}}


def dumps(step: StoredStep | None) -> str | None:
    """The ``results.undo`` column's text (None: nothing to reverse)."""
    if step is None:
        return None
    if isinstance(step, Unreadable):
        return step.text
    return json.dumps(to_json(step))


def loads(text: str | None) -> StoredStep | None:
    """A ``results.undo`` column read back (None: nothing to reverse)."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return Unreadable(text)
    step = from_json(data)
    return Unreadable(text) if step is None else step


def from_json(data: object) -> UndoStep | None:
    """The step a tagged JSON object describes; None unless every field is one this release
    knows, of its type (fail closed: what is not understood is not reversed)."""
    if not isinstance(data, dict):
        return None
    fields = {k: v for k, v in data.items() if k != "op"}
    match data.get("op"):
        case "add":
            known = {"owner", "room", "name", "user", "platform", "kind"}
            fields.setdefault("owner", False)  # as earlier releases read it: absent, not one
            if not isinstance(fields["owner"], bool) or set(fields) - known:
                return None
            if not all(_text(fields.get(k)) for k in known - {"owner"}):
                return None
            return Readd(**fields)
        case "promote":
            level = fields.get("level")
            if set(fields) - {"level"} or not (level is None or _integer(level)):
                return None
            return Repromote(level)
        case "ib-add":
            group, user = fields.get("group"), fields.get("user")
            if set(fields) - {"group", "user"} or not isinstance(group, str) or not _text(user):
                return None
            return IbReadd(group, user)
        case _:
            return None


def _text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
