"""The messaging session's wire: the presigned ``/connect`` URL and the frames it carries.

The URL is what the Amazon Chime SDK developer guide (``websockets``, "Establishing the
connection") and the JS SDK's ``DefaultSigV4`` build: ``wss://<endpoint>/connect?sessionId=…&
userArn=…`` presigned with SigV4 in the query (service ``chime``, only ``host`` signed, the
payload hash of the empty string, ``X-Amz-Expires=10``). botocore's ``SigV4QueryAuth`` signs it:
for an ``https`` URL it hashes the empty payload too, so the URL is signed as ``https`` (``http``
for a double on loopback) and sent as ``wss`` (``ws``).

Every frame is ``{"Headers": {...}, "Payload": "<JSON text>"}`` (guide ``message-structures``);
a frame is hostile input like any other: anything that is not that shape is dropped, never
raised on.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest

from bot.model import ReadPosition

SERVICE = "chime"
EXPIRES_SECONDS = 10
"""As the JS SDK signs it: the URL is used at once."""

EVENT_TYPE = "x-amz-chime-event-type"
MESSAGE_TYPE = "x-amz-chime-message-type"
SESSION_ESTABLISHED = "SESSION_ESTABLISHED"
CREATE_CHANNEL_MESSAGE = "CREATE_CHANNEL_MESSAGE"
STANDARD = "STANDARD"


class BadEndpoint(ValueError):
    """GetMessagingSessionEndpoint answered something that is not a host."""


def connect_url(
    endpoint: str,
    *,
    secure: bool,
    credentials: Any,
    region: str,
    user_arn: str,
    session_id: str,
    expires: int = EXPIRES_SECONDS,
) -> str:
    """The presigned WebSocket URL for ``endpoint`` (GetMessagingSessionEndpoint's ``Url``: a
    host such as ``id.region.ws-messaging.chime.aws``, maybe with a port and a trailing ``/``)."""
    host = endpoint.strip().rstrip("/")
    parts = urlsplit(f"//{host}")
    if not host or "://" in host or parts.path or parts.query or parts.fragment:
        raise BadEndpoint(f"the messaging session endpoint is not a host: {endpoint[:100]!r}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise BadEndpoint(f"the messaging session endpoint's port is wrong: {exc}") from None
    request = AWSRequest(
        method="GET",
        url=f"{'https' if secure else 'http'}://{parts.netloc}/connect",
        params={"sessionId": session_id, "userArn": user_arn},
    )
    frozen = credentials.get_frozen_credentials()  # refreshed first if they expire soon
    SigV4QueryAuth(frozen, SERVICE, region, expires=expires).add_auth(request)
    signed = str(request.url)
    return ("wss" if secure else "ws") + signed[signed.index("://") :]


@dataclass(frozen=True)
class Frame:
    event_type: str
    message_type: str | None
    payload: dict[str, Any] | None
    """The Payload's JSON object; None when absent, empty, or not an object."""


def parse_frame(raw: str | bytes) -> Frame | None:
    """A frame's headers and payload, or None for anything not shaped like a frame."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    headers = data.get("Headers")
    if not isinstance(headers, dict):
        return None
    event_type = headers.get(EVENT_TYPE)
    if not isinstance(event_type, str) or not event_type:
        return None
    message_type = headers.get(MESSAGE_TYPE)
    payload: dict[str, Any] | None = None
    text = data.get("Payload")
    if isinstance(text, str) and text:
        try:
            inner = json.loads(text)
        except (ValueError, RecursionError):
            inner = None
        if isinstance(inner, dict):
            payload = inner
    return Frame(event_type, message_type if isinstance(message_type, str) else None, payload)


def timestamp(value: object) -> float | None:
    """Epoch seconds from a timestamp as the service writes it: botocore's datetime, a JSON
    number (epoch seconds; milliseconds when it is too large for seconds) or ISO 8601 text
    (the session's payloads: which one is not documented, so all are read)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        if not math.isfinite(seconds) or seconds < 0:
            return None
        return seconds / 1000 if seconds > 100_000_000_000 else seconds
    if isinstance(value, str) and value:
        try:
            return timestamp(float(value))
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return timestamp(moment)
    return None


def position(message: dict[str, Any]) -> ReadPosition | None:
    """Where a channel message stands in its channel: (CreatedTimestamp, MessageId)."""
    message_id = message.get("MessageId")
    at = timestamp(message.get("CreatedTimestamp"))
    if not isinstance(message_id, str) or not message_id or at is None:
        return None
    return ReadPosition(at, message_id)


def sender_arn(message: dict[str, Any]) -> str | None:
    sender = message.get("Sender")
    arn = sender.get("Arn") if isinstance(sender, dict) else None
    return arn if isinstance(arn, str) else None
