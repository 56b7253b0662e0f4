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
        )


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


@dataclass(frozen=True, slots=True, order=True)
class ReadPosition:
    """The newest message of a room a platform has handled: its creation time (epoch seconds)
    and id. Ordered by time, then id (messages created in one millisecond)."""

    at: float
    message_id: str
