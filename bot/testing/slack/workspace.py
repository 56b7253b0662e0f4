"""An emulated Slack workspace on 127.0.0.1: the Web API, response URLs and Socket Mode.

Every Web API call is checked against the vendored official spec (the patched OpenAPI 3 copy)
and the rules it misses (bearer token, required ``channel``/``user``…); the double's answers are
checked too. Whatever breaks a rule is answered with a Slack error and recorded in
``violations`` (``assert_no_violations()`` raises :class:`SpecViolation`). Knobs are explicit
methods (``fail_next``, ``rate_limit_next``, ``revoke_bot_token``, ``who_can_kick``); waits
(``next_message``, ``wait_for_calls``, ``socket.wait_for_ack``) wake on state changes.

    async with SlackWorkspace() as slack:
        slack.add_user("U0ALICE", "alice", "Alice Admin", is_admin=True)
        slack.add_channel("C0DESK0001", "desk", creator="U0ALICE", members=["U0ALICE"])
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url)
        # people: payloads to deliver by HTTP (SignedSender) or Socket Mode (slack.socket.send)
        fields = slack.slash_command("U0ALICE", "C0DESK0001", "@bob spamming")
        event = slack.mention("U0ALICE", "C0DESK0001", "@kickbot kick @bob")
        reply = await slack.next_message("C0DESK0001")
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.testing.kit import NamedCalls
from bot.testing.slack.methods import WebMethods
from bot.testing.slack.socket_mode import SocketModeServer
from bot.testing.slack.state import (
    ChannelManagement,
    SlackChannel,
    SlackMessage,
    SlackUser,
    mrkdwn_to_plain,
    new_ts,
)
from bot.testing.slack.web import Knobs, PlannedError, RecordedCall, WebGateway, calls_of, self_test

# The bot scopes of config/slack-manifest.yaml (a test keeps them equal).
DEFAULT_SCOPES = frozenset(
    {
        "app_mentions:read", "channels:manage", "channels:read", "chat:write", "commands",
        "groups:read", "groups:write", "im:write", "users:read", "users:read.email",
    }
)  # fmt: skip

_TYPED_MENTION = re.compile(r"(?<![\w<])@([\w.\-]+)")
_EMAIL = re.compile(r"(?<![\w<|:])([\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+)")


@dataclass
class _Hook:
    channel: str
    user: str
    uses: int = 0


class SlackWorkspace(NamedCalls[RecordedCall]):
    """A workspace with one app installed (its bot user ``bot_user_id``)."""

    def __init__(
        self,
        *,
        team_id: str = "T0KICKB0T1",
        team_name: str = "Acme",
        bot_user_id: str = "U0KICKBOT",
        bot_name: str = "kickbot",
        bot_id: str = "B0KICKBOT1",
        app_id: str = "A0KICKBOT1",
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> None:
        super().__init__()
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_name.lower()
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.scopes = set(scopes)
        self.bot_token = "xoxb-" + secrets.token_hex(12)
        self.app_token = "xapp-1-" + secrets.token_hex(12)
        self.signing_secret = secrets.token_hex(16)
        self.revoked_tokens: set[str] = set()
        self.who_can_kick: dict[str, ChannelManagement] = {
            "public": "everyone",
            "private": "everyone",
        }
        """Workspace setting "who can remove members from channels"; real Slack's default for
        public channels is "admins" (a bot is never one), for private ones "everyone"."""
        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, SlackChannel] = {}
        self.knobs = Knobs()
        self.socket = SocketModeServer(self)
        self._messages: list[SlackMessage] = []
        self._taken: set[int] = set()
        self._hooks: dict[str, _Hook] = {}
        self._ims: dict[str, str] = {}
        self.add_user(bot_user_id, bot_name, bot_name, is_bot=True)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self_test()  # a validator that accepts everything must not pass silently
        gateway = WebGateway(self, WebMethods(self).methods())
        await self._serve(gateway.application())

    async def stop(self) -> None:
        await self.socket.close()
        await self._close()

    @property
    def api_url(self) -> str:
        """``AsyncWebClient(base_url=…)``; the trailing slash is required."""
        return f"{self.url}/api/"

    # -- world set-up ----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        *,
        email: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_bot: bool = False,
    ) -> SlackUser:
        user = SlackUser(
            user_id,
            name,
            real_name or name,
            email,
            is_admin=is_admin or is_owner,  # Slack: every owner is an admin too
            is_owner=is_owner or is_primary_owner,
            is_primary_owner=is_primary_owner,
            is_bot=is_bot,
        )
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        creator: str,
        members: Iterable[str] = (),
        general: bool = False,
        private: bool = False,
        archived: bool = False,
    ) -> SlackChannel:
        """A channel; the bot is always made a member (it must be one to act there)."""
        ids = list(dict.fromkeys([self.bot_user_id, creator, *members]))
        unknown = [u for u in ids if u not in self.users]
        if unknown:
            raise ValueError(f"unknown users {unknown}: add_user() them first")
        channel = SlackChannel(channel_id, name, creator, ids, general, private, archived)
        self.channels[channel_id] = channel
        return channel

    def channel(self, channel_id: str) -> SlackChannel:
        return self.channels[channel_id]

    def join(self, channel_id: str, user_id: str) -> None:
        """``user_id`` joins the channel (no-op if already a member)."""
        members = self.channels[channel_id].members
        if user_id not in members:
            members.append(user_id)
            self.changed.notify()

    def members(self, channel_id: str) -> list[str]:
        return list(self.channels[channel_id].members)

    def open_im(self, user_id: str) -> tuple[str, bool]:
        """The id of the bot's direct message with ``user_id`` and whether it existed before."""
        if (known := self._ims.get(user_id)) is not None:
            return known, True
        im = "D" + secrets.token_hex(5).upper()
        self.channels[im] = SlackChannel(im, im, self.bot_user_id, [self.bot_user_id, user_id])
        self.channels[im].is_im = True
        self._ims[user_id] = im
        return im, False

    def im_of(self, user_id: str) -> str | None:
        """The bot's direct message with ``user_id``, if one was opened."""
        return self._ims.get(user_id)

    def user_by_name(self, name: str) -> SlackUser | None:
        wanted = name.lower()
        return next((u for u in self.users.values() if u.name.lower() == wanted), None)

    # -- people ----------------------------------------------------------------------------------

    def typed(self, text: str, *, with_names: bool) -> str:
        """``text`` as Slack delivers it when typed with the mention picker: ``@name`` of a known
        user becomes ``<@U…>`` (``<@U…|name>`` in an escaped slash command), an e-mail address
        becomes a ``mailto`` link, ``&``/``<``/``>`` are escaped. Unknown ``@words`` stay text."""
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

        def mention(m: re.Match[str]) -> str:
            user = self.user_by_name(m.group(1))
            if user is None:
                return m.group(0)
            return f"<@{user.id}|{user.name}>" if with_names else f"<@{user.id}>"

        linked = _EMAIL.sub(lambda m: f"<mailto:{m.group(1)}|{m.group(1)}>", escaped)
        return _TYPED_MENTION.sub(mention, linked)

    def slash_command(
        self, user: str, channel: str, text: str, *, command: str = "/kick", raw: bool = False
    ) -> dict[str, str]:
        """The form fields of a slash command typed by ``user`` in ``channel`` (the command is
        set to escape users, channels and links, as the shipped manifest says)."""
        hook = secrets.token_urlsafe(12)
        self._hooks[hook] = _Hook(channel, user)
        sender = self.users[user]
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": self.channels[channel].name if channel in self.channels else "",
            "user_id": user,
            "user_name": sender.name,
            "command": command,
            "text": text if raw else self.typed(text, with_names=True),
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": f"{self.url}/commands/{hook}",
            "trigger_id": f"{int(time.time())}.{secrets.randbelow(10**12)}.{secrets.token_hex(16)}",
        }

    def mention(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        raw: bool = False,
    ) -> dict[str, Any]:
        """``user`` posts ``text`` (mentioning the bot) in ``channel``, or in the thread of
        ``thread_ts``; returns the ``app_mention`` Events API callback Slack would send."""
        body = text if raw else self.typed(text, with_names=False)
        message = SlackMessage(channel, new_ts(), user, body, thread_ts, via="user")
        self.add_message(message)
        event: dict[str, Any] = {
            "type": "app_mention",
            "user": user,
            "text": body,
            "ts": message.ts,
            "channel": channel,
            "event_ts": message.ts,
            "team": self.team_id,
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    def response_url_post(self, hook: str, payload: dict[str, Any]) -> bool:
        """A post to a slash command's ``response_url`` (at most 5 uses, as Slack allows)."""
        found = self._hooks.get(hook)
        if found is None or found.uses >= 5:
            return False
        found.uses += 1
        text = str(payload.get("text", ""))
        self.add_message(
            SlackMessage(found.channel, new_ts(), self.bot_user_id, text, via="response_url")
        )
        return True

    # -- messages --------------------------------------------------------------------------------

    def add_message(self, message: SlackMessage) -> None:
        names = {u.id: u.real_name for u in self.users.values()}
        message.plain = mrkdwn_to_plain(message.text, names)
        self._messages.append(message)
        self.changed.notify()

    def message(self, channel: str, ts: str) -> SlackMessage | None:
        return next((m for m in self._messages if m.channel == channel and m.ts == ts), None)

    def messages(self, channel: str, *, include_users: bool = False) -> list[SlackMessage]:
        """Messages the bot posted in ``channel`` (with ``include_users``, everyone's)."""
        return [
            m
            for m in self._messages
            if m.channel == channel and (include_users or m.user == self.bot_user_id)
        ]

    async def next_message(
        self,
        channel: str,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        thread_ts: str | None = None,
    ) -> SlackMessage:
        """The bot's next message in ``channel`` not yet returned here: any, or only those in
        the thread of ``thread_ts``."""

        def untaken() -> int | None:
            for n, m in enumerate(self._messages):
                if n in self._taken or m.channel != channel or m.user != self.bot_user_id:
                    continue
                if thread_ts is None or m.thread_ts == thread_ts:
                    return n
            return None

        await self.changed.wait_for(lambda: untaken() is not None, timeout)
        index = untaken()
        assert index is not None
        self._taken.add(index)
        return self._messages[index]

    # -- traffic: knobs, records, assertions -----------------------------------------------------

    def fail_next(
        self,
        method: str,
        error: str,
        *,
        times: int = 1,
        needed: str | None = None,
        status: int = 200,
        retry_after: float | None = None,
        matching: Mapping[str, str] | None = None,
        after_effect: bool = False,
        reset: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with Slack error ``error`` (only calls
        with the arguments in ``matching``, if given: ``{"user": "U0BOB"}``). With
        ``after_effect`` the call is carried out first and only its answer is replaced (an
        answer lost after acting, e.g. ``status=500``); with ``reset`` there is no answer: the
        connection is reset."""
        extra = {"needed": needed, "provided": ",".join(sorted(self.scopes))} if needed else {}
        self.knobs.fail(
            calls_of(method, matching),
            PlannedError(error, status, retry_after, extra),
            times=times,
            after_effect=after_effect,
            reset=reset,
        )

    def rate_limit_next(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next calls of ``method``: HTTP 429, ``Retry-After``, ``ratelimited``."""
        self.fail_next(method, "ratelimited", times=times, status=429, retry_after=retry_after)

    def hold_next(self, method: str) -> asyncio.Event:
        """Hold the next call of ``method`` until the returned event is set (then answer it)."""
        return self.knobs.hold(calls_of(method))

    def revoke_bot_token(self) -> None:
        self.revoked_tokens.add(self.bot_token)

    def _calls_of(self, method: str) -> Callable[[RecordedCall], bool]:
        """Calls of a Web API method (``conversations.kick``) or to a path (``/commands``)."""
        if method.startswith("/"):
            return lambda r: r.path.startswith(method)
        return lambda r: r.path == f"/api/{method}"
