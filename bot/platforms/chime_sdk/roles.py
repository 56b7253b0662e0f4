"""Who owns a channel: its moderators and the AppInstanceAdmins, read through the client.

A command reads a channel's moderators with its member list; the rank and entitlement checks a
moment later, and kickbot's own changes after them, use that list while it is recent
(``members_reuse_seconds``), following each change kickbot makes. The AppInstanceAdmins change
rarely and are kept ``admins_ttl_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.model import RoomRef, UserRef
from bot.platforms.chime_sdk.config import ChimeSdkSettings

Lister = Callable[..., Awaitable[list[UserRef]]]
"""``(operation, key, inner, **params)``: the people a list operation returns."""


class Roles:
    def __init__(self, settings: ChimeSdkSettings, read: Lister) -> None:
        self._settings = settings
        self._read = read
        self._moderators: dict[str, tuple[float, frozenset[str]]] = {}
        self._admins: tuple[float, frozenset[str]] | None = None

    async def read_moderators(self, room: RoomRef) -> frozenset[str]:
        """The channel's moderators, read now (and kept)."""
        moderators = await self._read(
            "ListChannelModerators", "ChannelModerators", "Moderator", ChannelArn=room.id
        )
        ids = frozenset(m.id for m in moderators)
        self._moderators[room.id] = (time.monotonic(), ids)
        return ids

    async def moderators(self, room: RoomRef) -> frozenset[str]:
        """The channel's moderators: the list read for this command if recent, else fresh."""
        kept = self._moderators.get(room.id)
        if kept is not None and time.monotonic() - kept[0] <= self._settings.members_reuse_seconds:
            return kept[1]
        return await self.read_moderators(room)

    async def admins(self) -> frozenset[str]:
        kept = self._admins
        if kept is not None and time.monotonic() - kept[0] <= self._settings.admins_ttl_seconds:
            return kept[1]
        params: dict[str, Any] = {"AppInstanceArn": self._settings.app_instance_arn}
        admins = await self._read("ListAppInstanceAdmins", "AppInstanceAdmins", "Admin", **params)
        ids = frozenset(a.id for a in admins)
        self._admins = (time.monotonic(), ids)
        return ids

    def changed(self, room: RoomRef, user: str, moderator: bool | None) -> None:
        """kickbot made ``user`` a moderator of ``room`` or not (None: not a moderator change)."""
        kept = self._moderators.get(room.id)
        if kept is not None and moderator is not None:
            ids = kept[1] | {user} if moderator else kept[1] - {user}
            self._moderators[room.id] = (kept[0], ids)

    def forget(self, room: RoomRef) -> None:
        """A change whose outcome is not known: the next look reads the list again."""
        self._moderators.pop(room.id, None)
