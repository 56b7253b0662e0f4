"""A room as Rocket.Chat shows it: its info (a read under way is shared), its type (``groups``
or ``channels``, in every endpoint's name; remembered), its roles (cached briefly; our own
changes drop them) and its member list."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bot import errors
from bot.model import Member, RoomRef, UserRef
from bot.platforms.rocketchat.http import RestClient
from bot.platforms.rocketchat.users import TtlCache

ROOM_KINDS = {"p": "groups", "c": "channels"}
ROLES_TTL = 2.0
"""Room roles are read for the caller's entitlement and again for the member list of the same
command a moment later: one read serves both. Our own changes drop it at once."""


class Rooms:
    def __init__(self, rest: RestClient) -> None:
        self._rest = rest
        self._kinds: dict[str, str] = {}  # room id -> "groups" | "channels" | other type letter
        self._reads: dict[str, asyncio.Task[dict[str, Any]]] = {}  # rooms.info under way
        self._roles: TtlCache[str, dict[str, frozenset[str]]] = TtlCache(ROLES_TTL)

    def note_kind(self, room_id: str, kind: str) -> None:
        self._kinds[room_id] = kind

    def drop_roles(self, room_id: str) -> None:
        """After a change of the room's members or roles."""
        self._roles.drop(room_id)

    async def read(self, room: RoomRef) -> dict[str, Any]:
        """``rooms.info``; a read of the same room already under way is shared (the room's info
        and its member list, which needs the room's type, are looked up side by side)."""
        reading = self._reads.get(room.id)
        if reading is None:
            reading = asyncio.ensure_future(self._rest.get("rooms.info", {"roomId": room.id}))
            self._reads[room.id] = reading
            reading.add_done_callback(lambda done: self._read_done(room.id, done))
        body = await asyncio.shield(reading)
        data = body.get("room") or {}
        kind = str(data.get("t") or "")
        self._kinds[room.id] = ROOM_KINDS.get(kind, kind)
        return dict(data)

    def _read_done(self, room_id: str, done: asyncio.Task[dict[str, Any]]) -> None:
        self._reads.pop(room_id, None)
        if not done.cancelled():
            done.exception()  # retrieved: every waiter may have gone (it is raised to those left)

    async def kind(self, room: RoomRef) -> str:
        """``groups`` or ``channels``: the room's type, looked up once and remembered."""
        kind = self._kinds.get(room.id)
        if kind is None:
            await self.read(room)
            kind = self._kinds[room.id]
        if kind not in ROOM_KINDS.values():
            raise errors.BadRequest(
                f"kickbot works in channels and private groups only (this room's type is {kind!r})",
                status=400,
            )
        return kind

    async def roles(self, room: RoomRef) -> dict[str, frozenset[str]]:
        hit, cached = self._roles.get(room.id)
        if hit and cached is not None:
            return cached
        kind = await self.kind(room)
        body = await self._rest.get(f"{kind}.roles", {"roomId": room.id})
        roles = {
            str(r["u"]["_id"]): frozenset(str(x) for x in r.get("roles") or ())
            for r in body.get("roles") or ()
            if isinstance(r, dict) and isinstance(r.get("u"), dict)
        }
        self._roles.put(room.id, roles)
        return roles

    async def members(self, room: RoomRef) -> Sequence[Member]:
        kind = await self.kind(room)
        found: list[dict[str, Any]] = []
        page = 100
        while True:
            body = await self._rest.get(
                f"{kind}.members",
                {"roomId": room.id, "count": str(page), "offset": str(len(found))},
            )
            batch = [m for m in body.get("members") or () if isinstance(m, dict)]
            found.extend(batch)
            total = int(body.get("total") or 0)
            if not batch or len(found) >= total:
                break
        roles = await self.roles(room)
        return [
            Member(
                UserRef(str(m["_id"]), str(m.get("username") or "") or None),
                "owner" in roles.get(str(m["_id"]), frozenset()),
            )
            for m in found
        ]

    async def kind_or_none(self, room: RoomRef) -> str | None:
        try:
            return await self.kind(room)
        except errors.BadRequest:
            return None  # a direct message or another kind: no room roles there
