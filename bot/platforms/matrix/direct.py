"""Direct messages: the bot's direct room with a person, found in its ``m.direct`` account
data or created (and recorded there), and the ``m.notice`` every message of the bot's is."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from nio import Api, RoomPreset, RoomVisibility
from nio.responses import EmptyResponse

from bot import errors
from bot.model import UserRef
from bot.platforms.matrix.calls import Session, call
from bot.platforms.matrix.rooms import RoomState
from bot.platforms.matrix.text import render
from bot.reply import Reply

log = structlog.get_logger(__name__)


class DirectRooms:
    def __init__(self, session: Session, rooms: RoomState) -> None:
        self._session = session
        self._rooms = rooms
        self._lock = asyncio.Lock()
        """``m.direct`` is read, changed and written whole: one writer at a time."""

    async def send(self, user: UserRef, reply: Reply) -> None:
        async with self._lock:
            room_id = await self._room_for(user.id)
        await call(
            "send",
            self._session.nio().room_send(room_id, "m.room.message", notice_content(reply)),
        )

    async def _room_for(self, user_id: str) -> str:
        """The bot's direct room with ``user_id``: the newest one recorded in the bot's
        ``m.direct`` account data that still reaches them, else a new private room created
        with ``is_direct`` inviting them, then recorded in ``m.direct``."""
        direct = await self.rooms()
        for room_id in reversed(direct.get(user_id, [])):
            if await self._reaches(room_id, user_id):
                return room_id
        created = await call(
            "create a direct room",
            self._session.nio().room_create(
                visibility=RoomVisibility.private, preset=RoomPreset.private_chat, is_direct=True
            ),
        )
        await self._invite(str(created.room_id), user_id)
        direct[user_id] = [*direct.get(user_id, []), created.room_id]
        client = self._session.nio()
        # nio has no setter for account data; its own request path keeps its retries and
        # error parsing (the GET path of list_direct_rooms is the PUT path too).
        _method, path = Api.direct_room_list(client.access_token, self._session.bot_user.id)
        await call("m.direct", client._send(EmptyResponse, "PUT", path, Api.to_json(direct)))
        return str(created.room_id)

    async def _invite(self, room_id: str, user_id: str) -> None:
        """Invite ``user_id`` into the new direct room (an invite marked ``is_direct``, as
        ``createRoom`` would make it). Invited apart from the creation so that a refused invite
        (someone who blocks invites) leaves no empty room behind: the bot leaves and forgets it."""
        client = self._session.nio()
        content = {"membership": "invite", "is_direct": True}
        try:
            await call("invite", client.room_put_state(room_id, "m.room.member", content, user_id))
        except errors.PlatformError:
            with contextlib.suppress(errors.PlatformError):
                await call("leave", client.room_leave(room_id))
                await call("forget", client.room_forget(room_id))
            raise

    async def rooms(self) -> dict[str, list[str]]:
        """The bot's ``m.direct``: each user's direct rooms with the bot, oldest first."""
        try:
            resp = await call("m.direct", self._session.nio().list_direct_rooms())
        except errors.NotFound:
            return {}  # never set
        rooms = getattr(resp, "rooms", None)
        if not isinstance(rooms, dict):
            return {}
        return {
            str(user): [str(r) for r in ids if isinstance(r, str)]
            for user, ids in rooms.items()
            if isinstance(ids, list)
        }

    async def _reaches(self, room_id: str, user_id: str) -> bool:
        """Whether a recorded direct room still reaches ``user_id``: the bot is joined, and
        they are joined or invited (one who left is invited again; one who is banned is not)."""
        if await self._rooms.membership(room_id, self._session.bot_user.id) != "join":
            return False
        theirs = await self._rooms.membership(room_id, user_id)
        if theirs in ("join", "invite"):
            return True
        if theirs != "leave":
            return False
        try:
            await call("invite", self._session.nio().room_invite(room_id, user_id))
        except errors.PlatformError as err:
            log.info("a recorded direct room no longer reaches", room=room_id, error=err.detail)
            return False
        return True


def notice_content(reply: Reply) -> dict[str, Any]:
    """An ``m.notice`` with plain and HTML bodies; only kickbot's own mentions ping."""
    body, formatted, mentioned = render(reply)
    return {
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        "m.mentions": {"user_ids": mentioned},
    }
