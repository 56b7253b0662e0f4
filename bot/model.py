"""Platform-neutral values that flow from an adapter into the core.

Adapters translate their SDK's events into these; the core never sees an SDK type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class UserRef:
    """A person (or bot) on a platform. ``id`` is the platform's own stable id, as text."""

    id: str
    display: str | None = None
    email: str | None = None

    @property
    def label(self) -> str:
        return self.display or self.email or self.id


@dataclass(frozen=True, slots=True)
class RoomRef:
    id: str


@dataclass(frozen=True, slots=True)
class Word:
    """A plain-text token. Text that merely *looks* like a mention is a Word."""

    text: str


@dataclass(frozen=True, slots=True)
class MentionToken:
    """A structured mention: the platform told us the user id, not just a name."""

    user: UserRef
    text: str


Token = Word | MentionToken


@dataclass(frozen=True, slots=True)
class Invocation:
    """One message that may hold a command, as received by an adapter."""

    platform: str
    event_id: str
    room: RoomRef
    caller: UserRef
    tokens: tuple[Token, ...]
    thread: str | None = None
    """Where the reply goes inside the room, in the platform's terms (Slack thread ts,
    Rocket.Chat tmid, Chime webhook URL); None for the room itself (Symphony)."""
    direct: bool = False
    """The platform routed the message to the bot itself (a Slack slash command), so it counts
    as addressed to the bot even without a mention."""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    confirm_by: tuple[str, ...] | None = None
    """Who must /confirm the command before it acts, instead of its caller (ids or e-mail
    addresses); ``()``: it acts without waiting. Set only by callers that are not in a chat
    (an identity provider's offboarding, ``bot.everywhere``); None: the usual rule."""
    report_to: tuple[tuple[str, str], ...] = ()
    """(platform, room id) pairs that get a copy of the final reply besides ``room``."""

    @property
    def text(self) -> str:
        return " ".join(t.text for t in self.tokens)

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "event_id": self.event_id,
            "room": self.room.id,
            "caller": _user_json(self.caller),
            "tokens": [
                {"word": t.text}
                if isinstance(t, Word)
                else {"mention": _user_json(t.user), "text": t.text}
                for t in self.tokens
            ],
            "thread": self.thread,
            "direct": self.direct,
            "received_at": self.received_at.isoformat(),
            # Only when set: an invocation from chat reads back the same in earlier releases.
            **({} if self.confirm_by is None else {"confirm_by": list(self.confirm_by)}),
            **({"report_to": [list(p) for p in self.report_to]} if self.report_to else {}),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Invocation:
        tokens: list[Token] = []
        for t in data["tokens"]:
            if "word" in t:
                tokens.append(Word(t["word"]))
            else:
                tokens.append(MentionToken(UserRef(**t["mention"]), t["text"]))
        return cls(
            platform=data["platform"],
            event_id=data["event_id"],
            room=RoomRef(data["room"]),
            caller=UserRef(**data["caller"]),
            tokens=tuple(tokens),
            thread=data.get("thread"),
            direct=bool(data.get("direct", False)),
            received_at=datetime.fromisoformat(data["received_at"]),
            confirm_by=_texts(data.get("confirm_by")),
            report_to=tuple((str(p), str(r)) for p, r in (_pairs(data.get("report_to")) or ())),
        )


def _texts(value: object) -> tuple[str, ...] | None:
    """A stored list of texts (None: absent); anything else stored there is refused."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("confirm_by: not a list of texts")
    return tuple(value)


def _pairs(value: object) -> list[list[str]] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) for v in p) for p in value
    ):
        raise ValueError("report_to: not a list of (platform, room) pairs")
    return value


def _user_json(user: UserRef) -> dict[str, str | None]:
    return {"id": user.id, "display": user.display, "email": user.email}


@dataclass(frozen=True, slots=True)
class RoomInfo:
    room: RoomRef
    name: str
    active: bool


@dataclass(frozen=True, slots=True)
class Member:
    user: UserRef
    is_owner: bool
    kind: str | None = None
    """The kind of membership, in the platform's own word, where a platform has more than one
    (a hidden membership); None: the usual. /undo puts the person back as this kind."""


@dataclass(frozen=True, slots=True, order=True)
class ReadPosition:
    """The newest message of a room a platform has handled: its creation time (epoch seconds)
    and id. Ordered by time, then id (messages created in one millisecond)."""

    at: float
    message_id: str
