"""Slack through slack-bolt's AsyncApp: ``/kick`` as a slash command and ``@kickbot kick …`` as a
mention, in Socket Mode or over HTTP (the Events API, Bolt verifying every signature).

Bolt runs with ``process_before_response``: a listener only looks the caller up and records the
command (the sink), then Bolt acknowledges; the removal runs after, in the dispatcher. So a
command is durable before Slack hears "OK"; if recording fails, a mention's delivery gets a 500
(HTTP) or no ack (Socket Mode) and Slack delivers it again, and a slash command is answered with
a sentence saying nothing was done. Redeliveries carry the same ``event_id`` (``trigger_id`` for
slash commands), which the store refuses to record twice.

Beside it: ``calls`` (the Web API clients, a call's failure), ``receivers`` (HTTP with its
signature check, Socket Mode), ``people`` (callers, names, e-mails, channel owners), ``text``,
``errors`` and ``config``.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import structlog
from aiohttp import web
from aiolimiter import AsyncLimiter
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import errors
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef, Word
from bot.platform import InvocationSink, SupportsDemote
from bot.platforms.slack.calls import Clients, call
from bot.platforms.slack.config import EVENTS_PATH, SlackSettings, load_settings
from bot.platforms.slack.errors import to_platform_error
from bot.platforms.slack.people import People
from bot.platforms.slack.receivers import connect_socket, serve_http
from bot.platforms.slack.text import render, tokenize
from bot.platforms.started import started
from bot.reply import Reply

log = structlog.get_logger(__name__)

DEMOTE_WHY = (
    "Slack offers bots no API to demote a channel manager (only Enterprise Grid admins can "
    "change roles, with a user token). Ask a workspace admin to do it in the channel's settings."
)
RECORD_FAILED = (
    "kickbot could not take this command (it could not look you up or record the command), "
    "so nothing was done. Please try again; the reason is logged."
)


class SlackPlatform:
    name = "slack"
    command_prefixes: tuple[str, ...] = ("/",)
    unsupported: Mapping[type, str] = MappingProxyType({SupportsDemote: DEMOTE_WHY})

    def __init__(self, section: dict[str, Any]):
        self.settings: SlackSettings = load_settings(section)
        per_minute = self.settings.changes_per_minute
        self._changes = AsyncLimiter(per_minute, 60) if per_minute else None
        self._clients = Clients()
        self._people = People(self._clients)
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._bot: UserRef | None = None
        self._sink: InvocationSink | None = None
        self.listen_port: int | None = None
        """HTTP mode: the port really listened on (``listen_port: 0`` picks a free one)."""

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def change_interval_seconds(self) -> float:
        """``conversations.kick``/``invite`` are Tier 3: 50+ calls per minute per workspace.
        Changes are paced to ``changes_per_minute`` (a burst of that many, then evenly), so
        a long job stays under the limit instead of meeting 429s."""
        per_minute = self.settings.changes_per_minute
        return 60 / per_minute if per_minute else 0.0

    async def _paced_change(self) -> None:
        if self._changes is not None:
            await self._changes.acquire()

    @property
    def bot_user(self) -> UserRef:
        return started(self._bot, "Slack")

    def _api(self) -> AsyncWebClient:
        return self._clients.api()

    @property
    def listen_url(self) -> str:
        """HTTP mode: the Request URL to give Slack (on this host)."""
        host = self.settings.listen_host
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        return f"http://{host}:{self.listen_port}{EVENTS_PATH}"

    async def connect(self) -> None:
        """Sign in for outgoing calls only (the command line): no events are received, so a
        bot running on the same app keeps receiving its own."""
        await self._sign_in()

    async def start(self, sink: InvocationSink) -> None:
        await self._sign_in()
        s = self.settings
        self._sink = sink
        app = AsyncApp(
            client=self._api(),
            signing_secret=s.signing_secret.get_secret_value() if s.signing_secret else None,
            request_verification_enabled=s.mode == "http",
            process_before_response=True,
            name="kickbot",
        )
        app.command(re.compile(r"^/.+"))(self._on_command)
        app.event("app_mention")(self._on_mention)
        try:
            if s.mode == "http":
                self._runner = await serve_http(app, s)
                self.listen_port = int(self._runner.addresses[0][1])
            else:
                self._socket = await connect_socket(app, s, self._api())
        except BaseException:
            await self.stop()
            await self.close()
            raise
        log.info("slack connected", mode=s.mode, bot=self.bot_user.label, bot_id=self.bot_user.id)

    async def connection_problem(self) -> str | None:
        """Connected (``ReportsConnection``): receiving (the Request URL served, or the Socket
        Mode connection open) and the workspace answering the bot's token (``auth.test``)."""
        if self._runner is None and self._socket is None:
            return "not receiving events"
        if self._socket is not None and not await self._socket.client.is_connected():
            return "the Socket Mode connection is down"
        try:
            await self._api().auth_test()
        except Exception as exc:
            return f"Slack does not answer ({to_platform_error('auth.test', exc)})"
        return None

    async def _sign_in(self) -> None:
        api = self._clients.open(self.settings)
        try:
            auth = await api.auth_test()
        except Exception as exc:
            await self.close()
            raise to_platform_error("auth.test", exc) from exc
        self._bot = UserRef(str(auth["user_id"]), str(auth.get("user") or "") or None)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None

    async def close(self) -> None:
        await self._clients.close()

    # --- receiving ----------------------------------------------------------------------------

    async def _on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        name = str(command.get("command", ""))
        try:
            caller = await self._people.caller(str(command["user_id"]))
            inv = Invocation(
                platform=self.name,
                event_id=str(command["trigger_id"]),
                room=RoomRef(str(command["channel_id"])),
                caller=caller,
                tokens=(Word(name), *tokenize(str(command.get("text", "")))),
                thread=None,  # Slack does not allow slash commands in threads
                direct=True,  # Slack routed it to this app: as good as a mention of the bot
            )
            assert self._sink is not None
            await self._sink(inv)
        except Exception as exc:
            log.error("could not take a slash command", command=name, error=repr(exc))
            await ack(text=RECORD_FAILED, response_type="ephemeral")
            return
        await ack()

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Raising here makes Bolt answer 500 (HTTP) or not ack (Socket Mode): Slack retries."""
        user = event.get("user")
        if not user or event.get("bot_id"):
            return
        try:
            inv = Invocation(
                platform=self.name,
                event_id=str(body["event_id"]),
                room=RoomRef(str(event["channel"])),
                caller=await self._people.caller(str(user)),
                tokens=tuple(tokenize(str(event.get("text", "")))),
                thread=str(event.get("thread_ts") or event["ts"]),
            )
            assert self._sink is not None
            await self._sink(inv)
        except Exception as exc:
            log.error(
                "could not take a mention; Slack will deliver it again",
                event_id=body.get("event_id"),
                error=repr(exc),
            )
            raise

    # --- Platform -----------------------------------------------------------------------------

    async def room_info(self, room: RoomRef) -> RoomInfo:
        api = self._api()
        info = (await call("conversations.info", api.conversations_info(channel=room.id)))[
            "channel"
        ]
        self._people.note_creator(room.id, info)
        return RoomInfo(room, str(info.get("name") or room.id), not info.get("is_archived", False))

    async def members(self, room: RoomRef) -> Sequence[Member]:
        # Slack has no room owners in the member list: owners are workspace admins or the
        # channel's creator (``is_room_owner``), and removing one never leaves a channel ownerless.
        found: list[Member] = []
        try:
            async for page in await self._api().conversations_members(channel=room.id, limit=200):
                found.extend(Member(UserRef(str(uid)), False) for uid in page["members"])
        except Exception as exc:
            raise to_platform_error("conversations.members", exc) from exc
        return found

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        return await self._people.by_email(emails)

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, UserRef]:
        """``users.info`` for each id (a caller's record kept from delivery, or the answer the
        owner check of the same target gets): names from the workspace, not from a
        ``<@U123|name>`` mention's text."""
        return await self._people.users_by_id(ids)

    @property
    def email_lookup_conclusive(self) -> bool:
        """users.lookupByEmail answers users_not_found only for an address nobody has; without
        users:read.email it fails (missing_scope) instead."""
        return True

    @property
    def email_access(self) -> str:
        return (
            "Slack shows the bot e-mail addresses only with the users:read.email scope: add "
            "it under OAuth & Permissions → Bot Token Scopes and reinstall the app"
        )

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        await self._paced_change()
        request = self._api().conversations_kick(channel=room.id, user=user.id)
        return json.dumps(await call("conversations.kick", request))

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        kwargs: dict[str, Any] = {"unfurl_links": False, "unfurl_media": False}
        if inv.thread is not None:
            kwargs["thread_ts"] = inv.thread
        request = self._api().chat_postMessage(channel=inv.room.id, text=render(reply), **kwargs)
        await call("chat.postMessage", request)

    # --- SupportsDirectMessage: conversations.open, then a message there -----------------------

    async def send_direct(self, user: UserRef, reply: Reply) -> None:
        api = self._api()
        opened = await call("conversations.open", api.conversations_open(users=user.id))
        channel = str((opened.get("channel") or {}).get("id") or "")
        if not channel:
            raise errors.BadRequest(f"Slack opened no direct message with {user.id}")
        request = api.chat_postMessage(
            channel=channel, text=render(reply), unfurl_links=False, unfurl_media=False
        )
        await call("chat.postMessage", request)

    # --- SupportsUndo: re-adding is conversations.invite ----------------------------------------

    async def add_member(self, room: RoomRef, user: UserRef, kind: str | None = None) -> str:
        """conversations.invite (one kind of membership: ``kind`` is never set here)."""
        await self._paced_change()
        request = self._api().conversations_invite(channel=room.id, users=user.id)
        data = await call("conversations.invite", request)
        return json.dumps({"ok": data.get("ok")})

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        # Never needed for a kick (Slack members carry no owner flag), kept for the protocol.
        raise errors.Forbidden(
            "Slack offers bots no API to make someone a channel manager; "
            "a workspace admin can do it in the channel's settings"
        )

    # --- SupportsUserRooms --------------------------------------------------------------------

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """The channels the bot is in (its own ``users.conversations``, public and private,
        archived ones too) where ``user`` is a member. Listing ``user``'s channels instead would
        name public channels the bot is not in, where it cannot act."""
        channels: list[dict[str, Any]] = []
        try:
            async for page in await self._api().users_conversations(
                types="public_channel,private_channel", exclude_archived=False, limit=200
            ):
                channels.extend(page["channels"])
        except Exception as exc:
            raise to_platform_error("users.conversations", exc) from exc
        rooms = []
        for channel in channels:
            room = RoomRef(str(channel["id"]))
            if any(m.user.id == user.id for m in await self.members(room)):
                name = str(channel.get("name") or room.id)
                rooms.append(RoomInfo(room, name, not channel.get("is_archived", False)))
        return rooms

    # --- SupportsOwnerLookup ------------------------------------------------------------------

    async def is_room_owner(self, room: RoomRef, user: UserRef) -> bool:
        """A workspace owner or admin, or the channel's creator."""
        return await self._people.is_room_owner(room, user)
