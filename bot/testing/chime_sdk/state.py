"""The Chime SDK double's world: an AppInstance, its users and admins, its channels (members,
moderators, messages), and its record of each request."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_APP_INSTANCE = (
    "arn:aws:chime:us-east-1:111122223333:app-instance/a1b2c3d4-5678-4e90-8abc-0000000c4a7e"
)


def stamp(when: float) -> str:
    """A timestamp as the service's JSON carries one (ISO 8601, milliseconds)."""
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="milliseconds")


@dataclass
class StoredMessage:
    message_id: str
    sender: str
    content: str
    created: float
    type: str = "STANDARD"
    persistence: str = "PERSISTENT"
    content_type: str | None = None
    sub_channel_id: str | None = None
    client_request_token: str | None = None

    def summary(self, names: dict[str, str]) -> dict[str, Any]:
        """A ChannelMessageSummary."""
        data: dict[str, Any] = {
            "MessageId": self.message_id,
            "Content": self.content,
            "Type": self.type,
            "CreatedTimestamp": stamp(self.created),
            "Sender": {"Arn": self.sender, "Name": names.get(self.sender, "")},
            "Redacted": False,
            "Status": {"Value": "SENT"},
        }
        if self.content_type:
            data["ContentType"] = self.content_type
        return data


@dataclass
class Channel:
    arn: str
    name: str
    created_by: str
    mode: str = "RESTRICTED"
    privacy: str = "PRIVATE"
    members: dict[str, str] = field(default_factory=dict)
    """Member ARN -> DEFAULT or HIDDEN."""
    moderators: set[str] = field(default_factory=set)
    joined: dict[str, float] = field(default_factory=dict)
    """Member ARN -> when they became a member (DescribeChannelMembership's CreatedTimestamp)."""
    messages: list[StoredMessage] = field(default_factory=list)
    created: float = field(default_factory=time.time)

    def add(self, member: str, kind: str = "DEFAULT") -> None:
        self.members[member] = kind
        self.joined[member] = time.time()

    def post(self, sender: str, content: str, **extra: Any) -> StoredMessage:
        when = round(time.time(), 3)  # the service keeps milliseconds
        message = StoredMessage(secrets.token_hex(32), sender, content, when, **extra)
        self.messages.append(message)
        return message
