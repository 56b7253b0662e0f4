"""Rocket.Chat (self-hosted, REST API v1): outgoing webhook in, REST out.

Commands arrive from an **outgoing webhook integration** (``webhook``): Rocket.Chat POSTs each
triggering message as JSON to kickbot's endpoint, which records it and answers 200.

Rocket.Chat owns ``/kick`` (a built-in slash command), so kickbot's trigger is ``!kick`` (the
configurable ``trigger``) or a mention of the bot: ``@kickbot kick @bob``. The payload carries no
mention list: ``@username`` words are looked up with ``users.info`` (cached briefly); names of
nobody stay plain words, which the grammar refuses with a hint.

Beside it: ``webhook`` (receiving), ``rooms`` (a room's info, type, roles, members), ``users``
(the user directory), ``http`` (the REST client), ``text`` and ``config``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import structlog
from aiohttp import web

from bot import errors
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef
from bot.platform import InvocationSink, SupportsIbGroups
from bot.platforms.inbound import MAX_BODY_BYTES
from bot.platforms.rocketchat.config import RocketChatConfig, parse_config
from bot.platforms.rocketchat.http import RestClient
from bot.platforms.rocketchat.rooms import ROOM_KINDS, Rooms
from bot.platforms.rocketchat.text import render
from bot.platforms.rocketchat.users import Directory
from bot.platforms.rocketchat.webhook import Webhook
from bot.platforms.started import started
from bot.reply import Reply

log = structlog.get_logger(__name__)

OWNER_ROLES = frozenset({"owner", "moderator"})


class RocketChatPlatform:
    name = "rocketchat"
    unsupported: Mapping[type, str] = MappingProxyType(
        {SupportsIbGroups: "Rocket.Chat has no Information Barrier groups"}
    )

    def __init__(self, section: Mapping[str, Any]) -> None:
        self.config: RocketChatConfig = parse_config(section)
        self.command_prefixes: tuple[str, ...] = (self.config.prefix,)
        self._rest: RestClient | None = None
        self._directory: Directory | None = None
        self._bot: UserRef | None = None
        self._room_state: Rooms | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def bot_user(self) -> UserRef:
        return started(self._bot, "Rocket.Chat")

    @property
    def change_interval_seconds(self) -> float:
        """The server's default limiter: ``rate_limit_calls`` per ``rate_limit_seconds`` on
        each endpoint (10 per 60 s), so one removal every 6 s at most."""
        calls = self.config.rate_limit_calls
        return self.config.rate_limit_seconds / calls if calls > 0 else 0.0

    @property
    def rest(self) -> RestClient:
        return started(self._rest, "Rocket.Chat")

    @property
    def webhook_url(self) -> str:
        """Where this instance listens for the outgoing webhook (known after ``start``)."""
        port = started(self._port, "Rocket.Chat")
        host = self.config.listen_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{port}{self.config.path}"

    async def connect(self) -> None:
        """Sign in for outgoing calls only (the command line): no webhook is served, so a
        bot running on the same account keeps receiving its own."""
        rest = self._rest = RestClient(self.config.rest())
        self._directory = Directory(rest, self.config.cache_seconds)
        self._room_state = Rooms(rest)
        try:
            me = await rest.get("me")
        except errors.PlatformError:
            await rest.aclose()
            self._rest = None
            raise
        self._bot = UserRef(str(me["_id"]), str(me.get("username") or "") or None)
        self._directory.me = self._bot.id

    async def connection_problem(self) -> str | None:
        """Connected (``ReportsConnection``): the webhook served and the server answering the
        bot's token (``GET /api/v1/me``)."""
        if self._runner is None or self._rest is None:
            return "the webhook is not served"
        try:
            await self._rest.get("me")
        except errors.PlatformError as err:
            return f"Rocket.Chat does not answer ({err})"
        return None

    async def start(self, sink: InvocationSink) -> None:
        await self.connect()
        webhook = Webhook(self.config, self._directory_(), self.bot_user, sink)
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.config.path, webhook.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.listen_host, self.config.listen_port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        log.info("rocketchat connected", bot=self.bot_user.label, webhook=self.webhook_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        if self._rest is not None:
            await self._rest.aclose()
            self._rest = None

    def _directory_(self) -> Directory:
        return started(self._directory, "Rocket.Chat")

    def _rooms(self) -> Rooms:
        return started(self._room_state, "Rocket.Chat")

    # --- rooms -----------------------------------------------------------------------------------

    async def room_info(self, room: RoomRef) -> RoomInfo:
        data = await self._rooms().read(room)
        name = str(data.get("fname") or data.get("name") or room.id)
        # Archived: membership and messages are frozen. Read-only only restricts posting.
        return RoomInfo(room, name, not bool(data.get("archived", False)))

    async def members(self, room: RoomRef) -> Sequence[Member]:
        return await self._rooms().members(room)

    async def is_room_owner(self, room: RoomRef, user: UserRef) -> bool:
        """Owner or moderator of the room, or a global admin of the server."""
        if await self._rooms().kind_or_none(room) is not None:
            held = (await self._rooms().roles(room)).get(user.id, frozenset())
            if held & OWNER_ROLES:
                return True
        record = await self._directory_().find("userId", user.id)
        return record is not None and "admin" in record.roles

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """The rooms the bot has joined (``rooms.get``: channels and private groups; direct
        messages are left out) where ``user`` is a member; archived ones are listed inactive."""
        body = await self.rest.get("rooms.get")
        rooms = []
        for data in body.get("update") or ():
            kind = ROOM_KINDS.get(str(data.get("t") or "")) if isinstance(data, dict) else None
            if kind is None:
                continue
            room = RoomRef(str(data["_id"]))
            self._rooms().note_kind(room.id, kind)
            if any(m.user.id == user.id for m in await self.members(room)):
                name = str(data.get("fname") or data.get("name") or room.id)
                rooms.append(RoomInfo(room, name, not bool(data.get("archived", False))))
        return rooms

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        found = {}
        for email in emails:
            record = await self._directory_().find("email", email)
            if record is not None:
                found[email.lower()] = record.ref
        return found

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, UserRef]:
        """``users.info?userId=``: each user as the server knows them (the username is the
        name every reply mentions)."""
        found = {}
        for uid in dict.fromkeys(ids):
            record = await self._directory_().find("userId", uid)
            if record is not None:
                found[uid] = record.ref
        return found

    @property
    def email_access(self) -> str:
        return (
            "Rocket.Chat shows the bot other users' e-mail addresses (and finds users by "
            "e-mail) only with the view-full-other-user-info permission: give it to the bot's "
            "role in Administration › Workspace › Permissions"
        )

    @property
    def email_lookup_conclusive(self) -> bool:
        """Only once a look-up of someone else showed the full record: without the permission
        an address nobody has and one the bot may not see both answer "User not found"."""
        return self._directory_().full_view is True

    # --- changes ---------------------------------------------------------------------------------

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        return await self._change(room, user, "kick")

    async def demote_owner(self, room: RoomRef, user: UserRef) -> str:
        kind = await self._rooms().kind(room)
        held = (await self._rooms().roles(room)).get(user.id, frozenset())
        body = {"roomId": room.id, "userId": user.id}
        done = []
        try:
            if "owner" in held or "moderator" not in held:
                await self.rest.post(f"{kind}.removeOwner", body)
                done.append(f"{kind}.removeOwner: success")
            if "moderator" in held:
                try:
                    await self.rest.post(f"{kind}.removeModerator", body)
                except errors.PlatformError as err:
                    if done:
                        err.detail = (
                            f"the owner role was removed, but not the moderator role: {err.detail}"
                        )
                        err.args = (err.detail,)
                    raise
                done.append(f"{kind}.removeModerator: success")
        finally:
            self._rooms().drop_roles(room.id)
        return "; ".join(done)

    async def add_member(self, room: RoomRef, user: UserRef, kind: str | None = None) -> str:
        """Undo of a kick: ``groups.invite`` / ``channels.invite`` (one kind of membership:
        ``kind`` is never set here)."""
        return await self._change(room, user, "invite")

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        """Undo of a demote (or of a kick of an owner): ``*.addOwner``."""
        return await self._change(room, user, "addOwner")

    async def _change(self, room: RoomRef, user: UserRef, endpoint: str) -> str:
        """``groups.<endpoint>`` or ``channels.<endpoint>`` for one user; the room's roles are
        read again afterwards."""
        kind = await self._rooms().kind(room)
        try:
            await self.rest.post(f"{kind}.{endpoint}", {"roomId": room.id, "userId": user.id})
        finally:
            self._rooms().drop_roles(room.id)
        return f"{kind}.{endpoint}: success"

    # --- direct messages -------------------------------------------------------------------------

    async def send_direct(self, user: UserRef, reply: Reply) -> None:
        """``dm.create`` (alias ``im.create``) by username, then ``chat.postMessage`` there."""
        record = await self._directory_().find("userId", user.id)
        if record is None or not record.ref.display:
            raise errors.NotFound(f"Rocket.Chat knows no user with the id {user.id}")
        try:
            body = await self.rest.post("dm.create", {"username": record.ref.display})
        except errors.Forbidden as err:
            said = (
                err.detail[err.detail.rfind(" (Rocket.Chat:") :]
                if "(Rocket.Chat:" in err.detail
                else ""
            )
            err.detail = (
                "the bot may not open direct messages: give its role the create-d permission "
                f"(Administration › Workspace › Permissions){said}"
            )
            err.args = (err.detail,)
            raise
        room = body.get("room") or {}
        rid = str(room.get("rid") or room.get("_id") or "")
        if not rid:
            raise errors.BadRequest(f"Rocket.Chat opened no direct message with {user.id}")
        text = render(reply, self.config.prefix)
        await self.rest.post("chat.postMessage", {"roomId": rid, "text": text, "parseUrls": False})

    # --- replies ---------------------------------------------------------------------------------

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        body: dict[str, Any] = {
            "roomId": inv.room.id,
            "text": render(reply, self.config.prefix),
            "parseUrls": False,
        }
        if inv.thread:
            body["tmid"] = inv.thread
        await self.rest.post("chat.postMessage", body)
