"""Reading a room's state: its creation (cached: it never changes), power levels, joined
members and one user's membership."""

from __future__ import annotations

from bot import errors
from bot.model import UserRef
from bot.platforms.matrix.calls import Session, call
from bot.platforms.matrix.power import Creation, PowerLevels


class RoomState:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._creations: dict[str, Creation] = {}

    async def creation(self, room_id: str) -> Creation:
        if room_id not in self._creations:
            state = await call("state", self._session.nio().room_get_state(room_id))
            create = next((e for e in state.events if e.get("type") == "m.room.create"), None)
            if create is None:
                raise errors.Unavailable(f"room {room_id} has no create event", status=502)
            self._creations[room_id] = Creation.from_event(create)
        return self._creations[room_id]

    async def power(self, room_id: str) -> PowerLevels:
        creation = await self.creation(room_id)
        nio = self._session.nio()
        try:
            resp = await call(
                "power levels", nio.room_get_state_event(room_id, "m.room.power_levels")
            )
            content = resp.content if isinstance(resp.content, dict) else {}
        except errors.NotFound:
            content = {}
        return PowerLevels(content, creation)

    async def joined(self, room_id: str) -> list[UserRef]:
        resp = await call("members", self._session.nio().joined_members(room_id))
        return [UserRef(m.user_id, m.display_name or None) for m in resp.members]

    async def membership(self, room_id: str, user_id: str) -> str | None:
        """``join``, ``invite``, ``leave``, ``ban``…; None when it cannot be read."""
        nio = self._session.nio()
        try:
            resp = await call(
                "membership", nio.room_get_state_event(room_id, "m.room.member", user_id)
            )
        except (errors.Forbidden, errors.NotFound):
            return None
        content = resp.content if isinstance(resp.content, dict) else {}
        membership = content.get("membership")
        return membership if isinstance(membership, str) else None
