"""A channel message as the messaging session hands it over (a ``CREATE_CHANNEL_MESSAGE``
event's payload, or an item ``ListChannelMessages`` returns when catching up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    channel_arn: str
    message_id: str
    """The idempotency key: a message seen twice (live and when catching up) is one command."""
    sender_arn: str
    content: str
    sub_channel_id: str | None = None
    """Set in elastic channels: the reply goes to the same sub-channel."""
    sender_name: str | None = None
    type: str = "STANDARD"
    """STANDARD or CONTROL (CONTROL messages carry no commands)."""

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ChannelMessage | None:
        """From a ChannelMessage (event payload) or a ChannelMessageSummary plus its channel;
        None when a member kickbot needs is missing or not text."""
        sender = payload.get("Sender")
        fields = (payload.get("ChannelArn"), payload.get("MessageId"))
        if not isinstance(sender, dict) or not all(isinstance(f, str) and f for f in fields):
            return None
        arn, content = sender.get("Arn"), payload.get("Content")
        if not isinstance(arn, str) or not arn or not isinstance(content, str):
            return None
        sub = payload.get("SubChannelId")
        name = sender.get("Name")
        return cls(
            channel_arn=str(payload["ChannelArn"]),
            message_id=str(payload["MessageId"]),
            sender_arn=arn,
            content=content,
            sub_channel_id=sub if isinstance(sub, str) and sub else None,
            sender_name=name if isinstance(name, str) else None,
            type=str(payload.get("Type") or "STANDARD"),
        )
