"""The Web API methods the Slack double serves, over the workspace's state.

Each rule is Slack's documented behaviour for a bot token; where the double must choose (the
order of checks), it picks the one that names the first thing wrong.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from bot.testing.slack.state import TS, SlackChannel, SlackMessage, new_ts
from bot.testing.slack.web import Call, Method, MethodError

if TYPE_CHECKING:
    from bot.testing.slack.workspace import SlackWorkspace

READ_SCOPES = {"public": ("channels:read",), "private": ("groups:read",)}
WRITE_SCOPES = {"public": ("channels:manage", "channels:write"), "private": ("groups:write",)}


T = TypeVar("T")


def _dm_scopes(call: Call) -> tuple[str, ...]:
    """A 1:1 direct message needs ``im:write``, a group DM ``mpim:write``."""
    return ("mpim:write",) if "," in str(call.params.get("users", "")) else ("im:write",)


class WebMethods:
    def __init__(self, workspace: SlackWorkspace) -> None:
        self.ws = workspace

    def methods(self) -> list[Method]:
        return [
            Method("auth.test", self.auth_test),
            Method("users.info", self.users_info, ("user",), lambda c: ("users:read",)),
            Method(
                "users.lookupByEmail",
                self.users_lookup_by_email,
                ("email",),
                lambda c: ("users:read.email",),
            ),
            Method(
                "conversations.info",
                self.conversations_info,
                ("channel",),
                lambda c: self._scopes(c, READ_SCOPES),
            ),
            Method(
                "conversations.members",
                self.conversations_members,
                ("channel",),
                lambda c: self._scopes(c, READ_SCOPES),
            ),
            Method(
                "users.conversations",
                self.users_conversations,
                scopes=lambda c: ("channels:read", "groups:read"),
            ),
            Method(
                "conversations.kick",
                self.conversations_kick,
                ("channel", "user"),
                lambda c: self._scopes(c, WRITE_SCOPES),
            ),
            Method(
                "conversations.invite",
                self.conversations_invite,
                ("channel", "users"),
                lambda c: self._scopes(c, WRITE_SCOPES),
            ),
            Method(
                "conversations.open",
                self.conversations_open,
                scopes=_dm_scopes,
            ),
            Method(
                "chat.postMessage", self.chat_post_message, ("channel",), lambda c: ("chat:write",)
            ),
            Method("apps.connections.open", self.apps_connections_open, token="app", in_spec=False),
        ]

    # --- helpers --------------------------------------------------------------------------------

    def _scopes(self, call: Call, by_kind: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
        channel = self.ws.channels.get(str(call.params.get("channel", "")))
        return by_kind[channel.kind] if channel is not None else ()

    def _channel(self, call: Call) -> SlackChannel:
        """The channel named in the call, as the bot can see it."""
        channel = self.ws.channels.get(str(call.params["channel"]))
        if channel is None or (channel.is_private and self.ws.bot_user_id not in channel.members):
            raise MethodError("channel_not_found")
        return channel

    # --- methods --------------------------------------------------------------------------------

    def auth_test(self, call: Call) -> dict[str, Any]:
        ws = self.ws
        return {
            "url": f"https://{ws.team_domain}.slack.com/",
            "team": ws.team_name,
            "user": ws.users[ws.bot_user_id].name,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    def users_info(self, call: Call) -> dict[str, Any]:
        user = self.ws.users.get(str(call.params["user"]))
        if user is None:
            raise MethodError("user_not_found")
        # profile.email only for a token with users:read.email (Slack's rule).
        shown = "users:read.email" in self.ws.scopes
        return {"user": user.to_obj(self.ws.team_id, show_email=shown)}

    def users_lookup_by_email(self, call: Call) -> dict[str, Any]:
        wanted = str(call.params["email"]).lower()
        for user in self.ws.users.values():
            if user.email is not None and user.email.lower() == wanted and not user.deleted:
                return {"user": user.to_obj(self.ws.team_id)}
        raise MethodError("users_not_found")

    def conversations_info(self, call: Call) -> dict[str, Any]:
        return {"channel": self._channel(call).to_obj(self.ws.bot_user_id)}

    def conversations_members(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call)
        page, next_cursor = _paged(call, channel.members)
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def users_conversations(self, call: Call) -> dict[str, Any]:
        """The channels a user is in (default: the caller), oldest first; private ones only
        where the bot is a member too. The objects carry no ``is_member`` (as documented)."""
        ws = self.ws
        who = str(call.params.get("user") or ws.bot_user_id)
        if who not in ws.users:
            raise MethodError("user_not_found")
        kinds = {t for t in str(call.params.get("types") or "public_channel").split(",") if t}
        if kinds - {"public_channel", "private_channel", "mpim", "im"}:
            raise MethodError("invalid_types")
        no_archived = str(call.params.get("exclude_archived", "false")).lower() in ("1", "true")
        chosen = [
            c
            for c in sorted(ws.channels.values(), key=lambda c: (c.created, c.id))
            if not c.is_im
            and who in c.members
            and ("private_channel" if c.is_private else "public_channel") in kinds
            and not (no_archived and c.is_archived)
            and (not c.is_private or ws.bot_user_id in c.members)
        ]
        page, next_cursor = _paged(call, chosen)
        objs = []
        for c in page:
            obj = c.to_obj(ws.bot_user_id)
            del obj["is_member"]
            objs.append(obj)
        return {"channels": objs, "response_metadata": {"next_cursor": next_cursor}}

    def conversations_kick(self, call: Call) -> dict[str, Any]:
        ws = self.ws
        channel = self._channel(call)
        target = str(call.params["user"])
        if target not in ws.users:
            raise MethodError("user_not_found")
        if target == ws.bot_user_id:
            raise MethodError("cant_kick_self")
        if channel.is_im:
            raise MethodError("method_not_supported_for_channel_type")
        if channel.is_general:
            raise MethodError("cant_kick_from_general")
        if ws.who_can_kick[channel.kind] == "admins":
            bot = ws.users[ws.bot_user_id]
            if not (bot.is_admin or bot.is_owner):
                raise MethodError("restricted_action")
        if target not in channel.members:
            raise MethodError("not_in_channel")
        channel.members.remove(target)
        ws.changed.notify()
        return {}

    def conversations_invite(self, call: Call) -> dict[str, Any]:
        ws = self.ws
        channel = self._channel(call)
        users = [u for u in str(call.params["users"]).split(",") if u]
        if len(users) > 100:
            raise MethodError("too_many_users")
        for uid in users:
            if uid not in ws.users:
                raise MethodError("user_not_found")
            if uid == ws.bot_user_id:
                raise MethodError("cant_invite_self")
            if uid in channel.members:
                raise MethodError("already_in_channel")
        if channel.is_archived:
            raise MethodError("is_archived")
        channel.members.extend(users)
        ws.changed.notify()
        return {"channel": channel.to_obj(ws.bot_user_id)}

    def conversations_open(self, call: Call) -> dict[str, Any]:
        """A 1:1 direct message with the bot: opened once, the same id ever after (Slack
        answers ``already_open`` then). Group DMs are not emulated."""
        ws = self.ws
        if resume := str(call.params.get("channel", "")):
            channel = ws.channels.get(resume)
            if channel is None or not channel.is_im:
                raise MethodError("channel_not_found")
            return {"channel": {"id": channel.id}, "no_op": True, "already_open": True}
        users = [u for u in str(call.params.get("users", "")).split(",") if u]
        if not users:
            raise MethodError("users_list_not_supplied")
        if len(users) > 1:
            raise MethodError("invalid_user_combination", violation="unimplemented: group DM")
        user = ws.users.get(users[0])
        if user is None:
            raise MethodError("user_not_found")
        if user.deleted:
            raise MethodError("user_disabled")
        im, opened_before = ws.open_im(user.id)
        return {"channel": {"id": im}, "no_op": opened_before, "already_open": opened_before}

    def chat_post_message(self, call: Call) -> dict[str, Any]:
        ws = self.ws
        channel = self._channel(call)
        if channel.is_archived:
            raise MethodError("is_archived")
        if ws.bot_user_id not in channel.members and "chat:write.public" not in ws.scopes:
            raise MethodError("not_in_channel")
        text = call.params.get("text")
        if not text and not call.params.get("blocks"):
            raise MethodError("no_text")
        if not isinstance(text, str):
            raise MethodError("invalid_arguments", violation="chat.postMessage: text not a string")
        if len(text) > 40000:
            raise MethodError("msg_too_long")
        thread_ts = call.params.get("thread_ts") or None
        if thread_ts is not None:
            self._check_thread(channel, str(thread_ts))
        message = SlackMessage(
            channel.id,
            new_ts(),
            ws.bot_user_id,
            text,
            str(thread_ts) if thread_ts else None,
            via="chat.postMessage",
        )
        ws.add_message(message)
        return {"channel": channel.id, "ts": message.ts, "message": message.to_obj(ws.bot_id)}

    def _check_thread(self, channel: SlackChannel, thread_ts: str) -> None:
        """Slack: "Avoid using a reply's ts value; use its parent instead." A reply to a reply
        or to no message at all is a bug in the bot, though Slack would take it."""
        if not TS.match(thread_ts):
            raise MethodError("invalid_arguments", violation=f"thread_ts {thread_ts!r} is no ts")
        parent = self.ws.message(channel.id, thread_ts)
        if parent is None:
            self.ws.violate("thread", f"thread_ts {thread_ts} names no message in {channel.id}")
        elif parent.thread_ts is not None and parent.thread_ts != parent.ts:
            self.ws.violate("thread", f"thread_ts {thread_ts} is a reply, not a thread's parent")

    def apps_connections_open(self, call: Call) -> dict[str, Any]:
        return {"url": self.ws.socket.new_url()}


def _paged(call: Call, items: list[T]) -> tuple[list[T], str]:
    """One page of ``items`` by the call's ``limit`` (1–1000) and ``cursor`` (Slack's opaque
    cursor; here base64 of ``offset:N``), and the next page's cursor ("" on the last)."""
    try:
        limit = int(call.params.get("limit", 100))
    except ValueError:
        raise MethodError("invalid_limit") from None
    if not 1 <= limit <= 1000:
        raise MethodError("invalid_limit")
    start = 0
    if cursor := str(call.params.get("cursor", "")):
        try:
            kind, _, offset = base64.b64decode(cursor, validate=True).decode().partition(":")
            start = int(offset)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise MethodError("invalid_cursor") from None
        if kind != "offset" or not 0 < start < len(items):
            raise MethodError("invalid_cursor")
    page = items[start : start + limit]
    end = start + len(page)
    return page, base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
