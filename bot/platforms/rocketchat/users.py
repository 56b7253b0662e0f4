"""Who is who on Rocket.Chat: ``users.info`` look-ups by id, username or e-mail, reused for a
short while, and the small cache they share."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot import errors
from bot.model import UserRef
from bot.platforms.rocketchat.http import RestClient

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._items: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> tuple[bool, V | None]:
        hit = self._items.get(key)
        if hit is None:
            return False, None
        if hit[0] < time.monotonic():
            del self._items[key]  # expired entries go when next asked for
            return False, None
        return True, hit[1]

    def put(self, key: K, value: V) -> None:
        if self._ttl > 0:
            self._items[key] = (time.monotonic() + self._ttl, value)

    def drop(self, key: K) -> None:
        self._items.pop(key, None)


@dataclass(frozen=True, slots=True)
class UserRecord:
    ref: UserRef
    roles: frozenset[str]
    active: bool


class Directory:
    """``users.info`` look-ups by id, username or e-mail, each reused for a short while."""

    def __init__(self, rest: RestClient, ttl: float) -> None:
        self._rest = rest
        self._cache: TtlCache[tuple[str, str], UserRecord | None] = TtlCache(ttl)
        self.me: str | None = None
        """The bot's own user id (set once known): its own record is always shown in full."""
        self.full_view: bool | None = None
        """Whether the server shows the bot other users in full (``view-full-other-user-info``:
        e-mails and roles, and finding users by e-mail), as its last answer about someone
        else said (every user has roles, so a record without them is not the full one)."""

    async def find(self, kind: str, value: str) -> UserRecord | None:
        key = (kind, value.lower() if kind != "userId" else value)
        hit, cached = self._cache.get(key)
        if hit:
            return cached
        try:
            body = await self._rest.get("users.info", {kind: value})
        except errors.PlatformError as err:
            if err.status == 400 and _no_such_user(err):
                self._cache.put(key, None)
                return None
            raise
        user = body.get("user") or {}
        record = user_record(user)
        if self.me is not None and record.ref.id != self.me:
            self.full_view = "roles" in user
        self._cache.put(key, record)
        self._cache.put(("userId", record.ref.id), record)
        return record


def _no_such_user(err: errors.PlatformError) -> bool:
    # users.info answers 400 {"success": false, "error": "User not found."} (no errorType).
    return "user not found" in (err.response or "").lower() or isinstance(err, errors.NotFound)


def user_record(user: Mapping[str, Any]) -> UserRecord:
    emails = user.get("emails") or []
    email = next(
        (str(e["address"]) for e in emails if isinstance(e, dict) and e.get("address")), None
    )
    return UserRecord(
        UserRef(str(user["_id"]), str(user.get("username") or "") or None, email),
        frozenset(str(r) for r in user.get("roles") or ()),
        bool(user.get("active", True)),
    )
