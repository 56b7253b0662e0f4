"""Rocket.Chat (self-hosted, REST API v1): outgoing webhook in, REST out.

Commands arrive from an **outgoing webhook integration**: Rocket.Chat POSTs each triggering
message as JSON to kickbot's endpoint. kickbot compares the integration's token in constant
time, turns the message into an ``Invocation`` and hands it to the sink, which only records it;
then it answers 200 with an empty body (so Rocket.Chat posts nothing itself). If recording fails
it answers 500, so an integration with "Retry Failed Calls" delivers again; the message id is the
event id, so a redelivered message never acts twice.

Rocket.Chat owns ``/kick`` (a built-in slash command), so kickbot's trigger is ``!kick`` (the
configurable ``trigger``) or a mention of the bot: ``@kickbot kick @bob``. The payload carries no
mention list: ``@username`` words are looked up with ``users.info`` (cached briefly); names of
nobody stay plain words, which the grammar refuses with a hint.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import structlog
from aiohttp import web

from bot import errors
from bot.model import Invocation, Member, MentionToken, RoomInfo, RoomRef, Token, UserRef, Word
from bot.platform import InvocationSink, SupportsIbGroups
from bot.platforms.inbound import JSON, MAX_BODY_BYTES, json_object, wrong_content_type
from bot.platforms.rocketchat.config import RocketChatConfig, parse_config
from bot.platforms.rocketchat.http import RestClient
from bot.platforms.rocketchat.text import mentioned_username, render, words
from bot.platforms.rocketchat.users import Directory, TtlCache
from bot.reply import Reply

log = structlog.get_logger(__name__)

ROOM_KINDS = {"p": "groups", "c": "channels"}
OWNER_ROLES = frozenset({"owner", "moderator"})
REQUIRED_FIELDS = ("message_id", "channel_id", "user_id")
ROLES_TTL = 2.0
"""Room roles are read for the caller's entitlement and again for the member list of the same
command a moment later: one read serves both. Our own changes drop it at once."""


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
        self._sink: InvocationSink | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._kinds: dict[str, str] = {}  # room id -> "groups" | "channels" | other type letter
        self._room_reads: dict[str, asyncio.Task[dict[str, Any]]] = {}  # rooms.info under way
        self._roles: TtlCache[str, dict[str, frozenset[str]]] = TtlCache(ROLES_TTL)

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def bot_user(self) -> UserRef:
        if self._bot is None:
            raise RuntimeError("the Rocket.Chat platform is not started")
        return self._bot

    @property
    def change_interval_seconds(self) -> float:
        """The server's default limiter: ``rate_limit_calls`` per ``rate_limit_seconds`` on
        each endpoint (10 per 60 s), so one removal every 6 s at most."""
        calls = self.config.rate_limit_calls
        return self.config.rate_limit_seconds / calls if calls > 0 else 0.0

    @property
    def rest(self) -> RestClient:
        if self._rest is None:
            raise RuntimeError("the Rocket.Chat platform is not started")
        return self._rest

    @property
    def webhook_url(self) -> str:
        """Where this instance listens for the outgoing webhook (known after ``start``)."""
        if self._port is None:
            raise RuntimeError("the Rocket.Chat platform is not started")
        host = self.config.listen_host
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self._port}{self.config.path}"

    async def connect(self) -> None:
        """Sign in for outgoing calls only (the command line): no webhook is served, so a
        bot running on the same account keeps receiving its own."""
        rest = self._rest = RestClient(self.config.rest())
        self._directory = Directory(rest, self.config.cache_seconds)
        try:
            me = await rest.get("me")
        except errors.PlatformError:
            await rest.aclose()
            self._rest = None
            raise
        self._bot = UserRef(str(me["_id"]), str(me.get("username") or "") or None)
        self._directory.me = self._bot.id

    async def start(self, sink: InvocationSink) -> None:
        await self.connect()
        self._sink = sink
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self.config.path, self._on_webhook)
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

    # --- inbound ---------------------------------------------------------------------------------

    async def _on_webhook(self, request: web.Request) -> web.Response:
        # Rocket.Chat puts the integration's token inside the JSON body, so the body is read
        # before the token can be checked: bounded (MAX_BODY_BYTES, else 413), of the JSON
        # type (else 415) and parsed so that no body, however nested, fails with a 500.
        refused = wrong_content_type(request, (JSON,))
        if refused is not None:
            return refused
        payload = json_object(await request.read())
        if payload is None:
            return web.Response(status=400, text="expected a JSON object")
        token = payload.get("token")
        expected = self.config.webhook_token.get_secret_value().encode()
        given = token.encode("utf-8", "surrogatepass") if isinstance(token, str) else None
        if given is None or not hmac.compare_digest(given, expected):
            log.warning("rocketchat webhook with a wrong token refused", peer=request.remote)
            return web.Response(status=403, text="wrong token")
        if not all(isinstance(payload.get(k), str) and payload[k] for k in REQUIRED_FIELDS):
            return web.Response(status=400, text="message_id, channel_id and user_id are required")
        if payload.get("user_id") == self.bot_user.id:
            return web.Response(status=200)  # our own replies
        try:
            inv = await self._invocation(payload)
        except errors.PlatformError as err:
            log.error("could not read a command's users; asking for redelivery", error=err.detail)
            return web.Response(status=503, text="look-up failed; retry")
        if inv is None:
            return web.Response(status=200)
        assert self._sink is not None
        try:
            await self._sink(inv)
        except Exception as exc:
            log.error("could not record a command; asking for redelivery", error=str(exc))
            return web.Response(status=500, text="not recorded; retry")
        return web.Response(status=200)

    def _looks_like_command(self, first: str) -> bool:
        if first.startswith(self.command_prefixes):
            return True
        name = mentioned_username(first)
        return name is not None and name.lower() == (self.bot_user.display or "").lower()

    async def _invocation(self, payload: Mapping[str, Any]) -> Invocation | None:
        text = payload.get("text")
        split = words(text) if isinstance(text, str) else []
        if not split or not self._looks_like_command(split[0]):
            return None  # chatter: no look-ups, nothing recorded
        seen: dict[str, Token] = {}  # one look-up per distinct username in a message
        tokens = []
        for word in split:
            if word not in seen:
                seen[word] = await self._token(word)
            tokens.append(seen[word])
        caller_id = str(payload["user_id"])
        user_name = payload.get("user_name")
        caller = await self._directory_().find("userId", caller_id)
        caller_ref = UserRef(
            caller_id,
            str(user_name) if user_name else (caller.ref.display if caller else None),
            caller.ref.email if caller else None,
        )
        message_id = str(payload["message_id"])
        tmid = payload.get("tmid")
        return Invocation(
            platform=self.name,
            event_id=message_id,
            room=RoomRef(str(payload["channel_id"])),
            caller=caller_ref,
            tokens=tuple(tokens),
            thread=str(tmid) if isinstance(tmid, str) and tmid else message_id,
        )

    async def _token(self, word: str) -> Token:
        name = mentioned_username(word)
        if name is None:
            return Word(word)
        if name.lower() == (self.bot_user.display or "").lower():
            return MentionToken(self.bot_user, word)
        found = await self._directory_().find("username", name)
        return MentionToken(found.ref, word) if found is not None else Word(word)

    def _directory_(self) -> Directory:
        if self._directory is None:
            raise RuntimeError("the Rocket.Chat platform is not started")
        return self._directory

    # --- rooms -----------------------------------------------------------------------------------

    async def room_info(self, room: RoomRef) -> RoomInfo:
        data = await self._read_room(room)
        name = str(data.get("fname") or data.get("name") or room.id)
        # Archived: membership and messages are frozen. Read-only only restricts posting.
        return RoomInfo(room, name, not bool(data.get("archived", False)))

    async def _read_room(self, room: RoomRef) -> dict[str, Any]:
        """``rooms.info``; a read of the same room already under way is shared (the room's info
        and its member list, which needs the room's type, are looked up side by side)."""
        reading = self._room_reads.get(room.id)
        if reading is None:
            reading = asyncio.ensure_future(self.rest.get("rooms.info", {"roomId": room.id}))
            self._room_reads[room.id] = reading
            reading.add_done_callback(lambda done: self._read_done(room.id, done))
        body = await asyncio.shield(reading)
        data = body.get("room") or {}
        kind = str(data.get("t") or "")
        self._kinds[room.id] = ROOM_KINDS.get(kind, kind)
        return dict(data)

    def _read_done(self, room_id: str, done: asyncio.Task[dict[str, Any]]) -> None:
        self._room_reads.pop(room_id, None)
        if not done.cancelled():
            done.exception()  # retrieved: every waiter may have gone (it is raised to those left)

    async def _kind(self, room: RoomRef) -> str:
        """``groups`` or ``channels``: the room's type, looked up once and remembered."""
        kind = self._kinds.get(room.id)
        if kind is None:
            await self._read_room(room)
            kind = self._kinds[room.id]
        if kind not in ROOM_KINDS.values():
            raise errors.BadRequest(
                f"kickbot works in channels and private groups only (this room's type is {kind!r})",
                status=400,
            )
        return kind

    async def _room_roles(self, room: RoomRef) -> dict[str, frozenset[str]]:
        hit, cached = self._roles.get(room.id)
        if hit and cached is not None:
            return cached
        kind = await self._kind(room)
        body = await self.rest.get(f"{kind}.roles", {"roomId": room.id})
        roles = {
            str(r["u"]["_id"]): frozenset(str(x) for x in r.get("roles") or ())
            for r in body.get("roles") or ()
            if isinstance(r, dict) and isinstance(r.get("u"), dict)
        }
        self._roles.put(room.id, roles)
        return roles

    async def members(self, room: RoomRef) -> Sequence[Member]:
        kind = await self._kind(room)
        found: list[dict[str, Any]] = []
        page = 100
        while True:
            body = await self.rest.get(
                f"{kind}.members",
                {"roomId": room.id, "count": str(page), "offset": str(len(found))},
            )
            batch = [m for m in body.get("members") or () if isinstance(m, dict)]
            found.extend(batch)
            total = int(body.get("total") or 0)
            if not batch or len(found) >= total:
                break
        roles = await self._room_roles(room)
        return [
            Member(
                UserRef(str(m["_id"]), str(m.get("username") or "") or None),
                "owner" in roles.get(str(m["_id"]), frozenset()),
            )
            for m in found
        ]

    async def is_room_owner(self, room: RoomRef, user: UserRef) -> bool:
        """Owner or moderator of the room, or a global admin of the server."""
        if await self._kind_or_none(room) is not None:
            held = (await self._room_roles(room)).get(user.id, frozenset())
            if held & OWNER_ROLES:
                return True
        record = await self._directory_().find("userId", user.id)
        return record is not None and "admin" in record.roles

    async def _kind_or_none(self, room: RoomRef) -> str | None:
        try:
            return await self._kind(room)
        except errors.BadRequest:
            return None  # a direct message or another kind: no room roles there

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
            self._kinds[room.id] = kind
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
        kind = await self._kind(room)
        try:
            await self.rest.post(f"{kind}.kick", {"roomId": room.id, "userId": user.id})
        finally:
            self._roles.drop(room.id)
        return f"{kind}.kick: success"

    async def demote_owner(self, room: RoomRef, user: UserRef) -> str:
        kind = await self._kind(room)
        held = (await self._room_roles(room)).get(user.id, frozenset())
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
            self._roles.drop(room.id)
        return "; ".join(done)

    async def add_member(self, room: RoomRef, user: UserRef) -> str:
        """Undo of a kick: ``groups.invite`` / ``channels.invite``."""
        kind = await self._kind(room)
        try:
            await self.rest.post(f"{kind}.invite", {"roomId": room.id, "userId": user.id})
        finally:
            self._roles.drop(room.id)
        return f"{kind}.invite: success"

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        """Undo of a demote (or of a kick of an owner): ``*.addOwner``."""
        kind = await self._kind(room)
        try:
            await self.rest.post(f"{kind}.addOwner", {"roomId": room.id, "userId": user.id})
        finally:
            self._roles.drop(room.id)
        return f"{kind}.addOwner: success"

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
