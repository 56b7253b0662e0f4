"""The emulated pod's state: users, rooms, IB groups, messages, datafeeds, recorded traffic."""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.testing import kit

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
class RecordedRequest(kit.RecordedRequest):
    answered_at: float | None = None  # time.perf_counter() when its answer was ready to send


ACK_ID_BYTES = 16
_ACK_ID = re.compile(f"[0-9a-f]{{{2 * ACK_ID_BYTES}}}")


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
        self.changed = asyncio.Event()
        self.deleted = False

    def enqueue(self, event: dict[str, Any]) -> None:
        self.pending.append(event)
        self.changed.set()

    @staticmethod
    def well_formed(ack_id: str) -> bool:
        """The agent refuses a malformed ackId; one it does not know (another feed's) it ignores."""
        return ack_id == "" or _ACK_ID.fullmatch(ack_id) is not None

    def ack(self, ack_id: str) -> None:
        batch = self.unacked.pop(ack_id, None)
        if batch is not None and batch.timer is not None:
            batch.timer.cancel()

    def take(self) -> tuple[str, list[dict[str, Any]]]:
        ack_id = secrets.token_hex(ACK_ID_BYTES)
        events = list(self.pending)
        self.pending.clear()
        if events:
            self.unacked[ack_id] = _Batch(events)
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


class Feeds:
    """All datafeeds of the pod, and the events said while none existed yet."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.by_id: dict[str, Datafeed] = {}
        self._backlog: list[dict[str, Any]] = []
        self._on_change = on_change

    def create(self) -> Datafeed:
        feed = Datafeed(f"{secrets.token_hex(16)}_f")
        self.by_id[feed.feed_id] = feed
        for event in self._backlog:
            feed.enqueue(event)
        self._backlog.clear()
        return feed

    def delete(self, feed: Datafeed) -> None:
        feed.close()
        del self.by_id[feed.feed_id]

    def publish(self, event: dict[str, Any]) -> None:
        """Put ``event`` on every feed; with no feed yet, keep it for the first one created.

        (Symphony would drop it; keeping it spares tests a race with the BDK's start-up.)
        """
        if not self.by_id:
            self._backlog.append(event)
        for feed in self.by_id.values():
            feed.enqueue(event)

    def take(self, feed: Datafeed, redelivery_seconds: float) -> tuple[str, list[dict[str, Any]]]:
        """Read a batch; it comes back by itself unless acknowledged within the delay."""
        ack_id, events = feed.take()
        batch = feed.unacked.get(ack_id)
        if batch is not None:
            loop = asyncio.get_running_loop()
            batch.timer = loop.call_later(redelivery_seconds, self._expire, feed, ack_id)
        self._on_change()
        return ack_id, events

    def _expire(self, feed: Datafeed, ack_id: str) -> None:
        feed.requeue(ack_id)
        self._on_change()

    def requeue_unacked(self) -> int:
        count = sum(feed.requeue_all() for feed in self.by_id.values())
        self._on_change()
        return count

    def unacked(self) -> int:
        return sum(len(feed.unacked) for feed in self.by_id.values())

    def close(self) -> None:
        for feed in self.by_id.values():
            feed.close()
