"""The emulated pod's state: users, rooms, IB groups, messages, datafeeds, recorded traffic."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

StreamType = Literal["ROOM", "IM"]
# The role that the IB group admin endpoints need ("User Provisioning").
USER_PROVISIONING = "USER_PROVISIONING"


def now_ms() -> int:
    return int(time.time() * 1000)


def url_safe_id(stream_id: str) -> str:
    """Canonical form of a stream id: URL-safe base64 (``-``/``_``), no ``=`` padding.

    Accepts either form. This is the form the API wants in URL paths and delivers in events.
    """
    return stream_id.replace("+", "-").replace("/", "_").rstrip("=")


def standard_id(stream_id: str) -> str:
    """Standard base64 form of a stream id (``+``/``/``, ``=`` padded), as some UIs show it."""
    plain = stream_id.replace("-", "+").replace("_", "/").rstrip("=")
    return plain + "=" * (-len(plain) % 4)


def new_stream_id() -> str:
    # 25 bytes like real stream ids (34 characters); the fixed 0xff 0xff 0xfe in the middle makes
    # the standard form contain '/' and the URL-safe form '_' ("…X___p…" in real ids).
    raw = secrets.token_bytes(16) + b"\xff\xff\xfe" + secrets.token_bytes(6)
    return url_safe_id(base64.b64encode(raw).decode())


def new_message_id() -> str:
    return url_safe_id(base64.b64encode(secrets.token_bytes(24)).decode())


@dataclass
class SimUser:
    user_id: int
    display_name: str
    email: str
    username: str
    active: bool = True
    company: str = "Acme"

    def user_v2(self, roles: list[str] | None = None) -> dict[str, Any]:
        """The pod's ``UserV2``."""
        body: dict[str, Any] = {
            "id": self.user_id,
            "emailAddress": self.email,
            "displayName": self.display_name,
            "company": self.company,
            "username": self.username,
            "accountType": "NORMAL",
        }
        if roles is not None:
            body["roles"] = roles
        return body

    def v4_user(self) -> dict[str, Any]:
        """The agent's ``V4User`` (event initiator, message author)."""
        return {
            "userId": self.user_id,
            "displayName": self.display_name,
            "email": self.email,
            "username": self.username,
        }


@dataclass
class SimRoom:
    stream_id: str  # URL-safe canonical form
    name: str
    members: dict[int, bool]  # user id -> owner?
    active: bool = True
    stream_type: StreamType = "ROOM"
    created_by: int = 0
    creation_date: int = field(default_factory=now_ms)
    join_dates: dict[int, int] = field(default_factory=dict)

    @property
    def stream_id_standard(self) -> str:
        return standard_id(self.stream_id)

    @property
    def owners(self) -> set[int]:
        return {uid for uid, owner in self.members.items() if owner}

    def set_member(self, user_id: int, owner: bool) -> None:
        self.members[user_id] = owner
        self.join_dates.setdefault(user_id, now_ms())

    def drop_member(self, user_id: int) -> None:
        del self.members[user_id]
        self.join_dates.pop(user_id, None)


@dataclass
class SimGroup:
    gid: str
    name: str
    members: set[int]


@dataclass
class SimMessage:
    message_id: str
    stream_id: str
    messageml: str  # what the sender submitted (MessageML from the bot, PresentationML from users)
    text: str  # plain-text rendering, mentions as "@Display Name"
    data: str | None  # EntityJSON as sent
    user_id: int
    timestamp: int = field(default_factory=now_ms)
    presentation_ml: str = ""  # what readers of the datafeed get


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON, the multipart form fields as a dict, or the raw text
    status: int | None = None  # filled in once the double has answered


@dataclass
class _Batch:
    events: list[dict[str, Any]]
    timer: asyncio.TimerHandle | None = None


class Datafeed:
    """One v5 datafeed: pending events, and batches delivered but not yet acknowledged.

    A read takes every pending event as one batch under a fresh ackId; presenting that ackId on
    a later read acknowledges the batch. An unacknowledged batch goes back to the front of the
    queue (redelivery, as Symphony does after ~30 s).
    """

    def __init__(self, feed_id: str) -> None:
        self.feed_id = feed_id
        self.created_at = now_ms()
        self.pending: deque[dict[str, Any]] = deque()
        self.unacked: dict[str, _Batch] = {}
        self.acked: set[str] = set()
        self.changed = asyncio.Event()
        self.deleted = False
        self.reads = 0

    def enqueue(self, event: dict[str, Any]) -> None:
        self.pending.append(event)
        self.changed.set()

    def knows(self, ack_id: str) -> bool:
        return ack_id == "" or ack_id in self.unacked or ack_id in self.acked

    def ack(self, ack_id: str) -> None:
        batch = self.unacked.pop(ack_id, None)
        if batch is not None:
            if batch.timer is not None:
                batch.timer.cancel()
            self.acked.add(ack_id)

    def take(self) -> tuple[str, list[dict[str, Any]]]:
        ack_id = secrets.token_hex(16)
        events = list(self.pending)
        self.pending.clear()
        if events:
            self.unacked[ack_id] = _Batch(events)
        else:
            self.acked.add(ack_id)  # nothing to acknowledge, but the id stays valid
        return ack_id, events

    def requeue(self, ack_id: str) -> bool:
        batch = self.unacked.pop(ack_id, None)
        if batch is None:
            return False
        if batch.timer is not None:
            batch.timer.cancel()
        self.pending.extendleft(reversed(batch.events))
        self.changed.set()
        return True

    def requeue_all(self) -> int:
        return sum(self.requeue(ack_id) for ack_id in list(self.unacked))

    def close(self) -> None:
        self.deleted = True
        for batch in self.unacked.values():
            if batch.timer is not None:
                batch.timer.cancel()
        self.changed.set()
