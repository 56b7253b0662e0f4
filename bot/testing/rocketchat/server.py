"""An emulated Rocket.Chat server (REST API v1 + outgoing webhook) on a loopback HTTP server.

Every request is checked against the vendored official specs (``specs/rocketchat-*.yaml``), and
the double's own answers too; ``X-User-Id``/``X-Auth-Token`` are checked on every route (some
operations in the spec omit them). Whatever breaks a rule is answered with the server's error and
recorded in ``server.violations`` (``server.assert_no_violations()`` raises ``SpecViolation``).

The server keeps users (global roles, active), rooms (type ``c``/``p``, members, room roles,
archived) and messages, and applies its real rules: the last owner cannot be kicked
(``error-you-are-last-owner``) nor demoted (``error-remove-last-owner``), changes need the
default permissions, ``groups.*`` only find private groups the caller is in.

Knobs: ``rate_limit`` (10 per 60 s per route by default; a short window for tests),
``fail_next``, ``hold_next``, ``revoke_token``. Waits (``next_message``, ``wait_for_calls``)
wake on changes, never by polling. ``say`` posts a message as a user and delivers it to the bot
as the outgoing webhook integration does.

    async with RocketChatServer() as server:
        server.add_user("u-alice", "alice")
        server.add_room("r-ops", "ops", "p", owners=["u-alice"], members=[server.bot_user_id])
        ... start kickbot with server.bot_config(), then server.connect(platform.webhook_url)
        await server.say("u-alice", "r-ops", "!kick @bob spamming")
        reply = await server.next_message("r-ops")
"""

from __future__ import annotations

import asyncio
import functools
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.testing.kit import NamedCalls, TimedSession
from bot.testing.rocketchat.gateway import (
    NOT_LOGGED_IN,
    Gateway,
    PlannedError,
    RateLimiter,
    calls_of,
    self_test,
)
from bot.testing.rocketchat.routes import endpoints
from bot.testing.rocketchat.state import (
    RcError,
    RcMessage,
    RcRequest,
    RcRoom,
    RcUser,
    RoomType,
    World,
    new_id,
)

CHANGES = re.compile(r"\.(kick|removeOwner|removeModerator|addOwner|addModerator|invite)$")


@dataclass
class Delivery:
    """One outgoing-webhook POST to the bot: the message, the HTTP status and body it got."""

    message_id: str
    status: int
    body: str


@dataclass
class _Target:
    url: str
    token: str


class RocketChatServer(NamedCalls[RcRequest]):
    """A Rocket.Chat server on ``http://127.0.0.1:<port>``; see the module docstring."""

    def __init__(
        self,
        *,
        bot_user_id: str = "kickbot-id",
        bot_username: str = "kickbot",
        bot_roles: Iterable[str] = ("bot",),
        auth_token: str | None = None,
    ) -> None:
        super().__init__()
        self.world = World()
        self.bot_user_id = bot_user_id
        self.auth_token = auth_token or secrets.token_urlsafe(24)
        self.webhook_token = secrets.token_urlsafe(18)
        self.deliveries: list[Delivery] = []
        self._payloads: dict[str, dict[str, Any]] = {}
        self._target: _Target | None = None
        self._http = TimedSession(timeout=aiohttp.ClientTimeout(total=30))
        self.gateway = Gateway(
            self.world,
            endpoints(lambda _message: self.changed.notify()),
            record=self.record,
            violate=self.violate,
            notify=self.changed.notify,
        )
        self.gateway.tokens[bot_user_id] = self.auth_token
        self.add_user(bot_user_id, bot_username, name=bot_username, roles=bot_roles)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self_test()
        await self._serve(self.gateway.application())

    @property
    def sent_at(self) -> float | None:
        """When the last delivery's body was written to the bot's socket (``perf_counter``)."""
        return self._http.sent_at

    async def stop(self) -> None:
        self.gateway.knobs.release_holds()
        await self._http.close()
        await self._close()

    def bot_config(self, **overrides: Any) -> dict[str, Any]:
        """A ``rocketchat:`` config section for kickbot pointing at this (started) server.

        Pacing is off by default (the double's limiter is off too); ``listen_port`` is 0."""
        section: dict[str, Any] = {
            "url": self.url,
            "user_id": self.bot_user_id,
            "auth_token": self.auth_token,
            "webhook_token": self.webhook_token,
            "listen_host": "127.0.0.1",
            "listen_port": 0,
            "rate_limit_calls": 0,
            "cache_seconds": 0,
        }
        section.update(overrides)
        return section

    def connect(self, url: str, token: str | None = None) -> None:
        """Point the outgoing webhook integration at ``url`` (with its token)."""
        self._target = _Target(url, token if token is not None else self.webhook_token)

    # -- world set-up ------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        username: str,
        *,
        name: str | None = None,
        email: str | None = None,
        roles: Iterable[str] = ("user",),
        active: bool = True,
    ) -> RcUser:
        user = RcUser(user_id, username, name or username, email, set(roles), active)
        self.world.users[user_id] = user
        return user

    def add_room(
        self,
        room_id: str,
        name: str,
        room_type: RoomType,
        *,
        owners: Iterable[str] = (),
        moderators: Iterable[str] = (),
        members: Iterable[str] = (),
        archived: bool = False,
        read_only: bool = False,
    ) -> RcRoom:
        owner_ids, moderator_ids, member_ids = list(owners), list(moderators), list(members)
        unknown = sorted(set(owner_ids + moderator_ids + member_ids) - self.world.users.keys())
        if unknown:
            raise ValueError(f"unknown user ids {unknown}: add_user() them first")
        creator = owner_ids[0] if owner_ids else self.bot_user_id
        room = RcRoom(room_id, name, room_type, archived=archived, read_only=read_only)
        room.creator = creator
        for uid in member_ids:
            room.add(uid)
        for uid in owner_ids:
            room.add(uid, "owner")
        for uid in moderator_ids:
            room.add(uid, "moderator")
        self.world.rooms[room_id] = room
        return room

    def room(self, room_id: str) -> RcRoom:
        return self.world.rooms[room_id]

    def user(self, user_id: str) -> RcUser:
        return self.world.users[user_id]

    # -- people talking ----------------------------------------------------------------------

    async def say(
        self, user_id: str, room_id: str, text: str, *, tmid: str | None = None
    ) -> Delivery:
        """``user_id`` writes ``text`` in the room (in thread ``tmid``); the integration POSTs it
        to the bot. Returns the delivery (the bot's HTTP status)."""
        user, room = self.user(user_id), self.room(room_id)
        message = RcMessage(new_id(), room.id, text, user.id, user.username, tmid)
        self.world.messages.append(message)
        payload: dict[str, Any] = {
            "token": None,
            "bot": False,
            "channel_id": room.id,
            "channel_name": room.name,
            "message_id": message.id,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(message.ts / 1000)),
            "user_id": user.id,
            "user_name": user.username,
            "text": text,
            "siteUrl": self.url,
        }
        if tmid:
            payload["tmid"] = tmid
        self._payloads[message.id] = payload
        return await self.deliver(payload)

    async def redeliver(self, message_id: str) -> Delivery:
        """POST the same message to the bot again (the integration's retry)."""
        return await self.deliver(self._payloads[message_id])

    async def deliver(self, payload: dict[str, Any], *, token: str | None = None) -> Delivery:
        """POST an outgoing-webhook payload to the connected bot; ``token`` overrides the
        integration's token (a forged delivery)."""
        if self._target is None:
            raise RuntimeError("connect() the integration to the bot first")
        body = {**payload, "token": token if token is not None else self._target.token}
        async with self._http.get().post(self._target.url, json=body) as response:
            delivery = Delivery(
                str(payload.get("message_id")), response.status, await response.text()
            )
        self.deliveries.append(delivery)
        return delivery

    # -- what the bot sent -------------------------------------------------------------------

    def messages(self, room_id: str, *, include_users: bool = False) -> list[RcMessage]:
        return [
            m
            for m in self.world.messages
            if m.rid == room_id and (include_users or m.user_id == self.bot_user_id)
        ]

    async def next_message(
        self,
        room_id: str,
        *,
        thread: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> RcMessage:
        """The bot's next message in the room (in ``thread`` if given) not yet returned here."""

        def mine() -> list[RcMessage]:
            return [m for m in self.messages(room_id) if thread is None or m.tmid == thread]

        return await self.next_of((room_id, thread), mine, timeout)

    # -- traffic: knobs, records, assertions -------------------------------------------------

    def rate_limit(self, calls: int = 10, seconds: float = 60.0) -> None:
        """Switch the server's limiter on: ``calls`` per ``seconds`` per route (429 beyond)."""
        self.gateway.limiter = RateLimiter(calls, seconds)

    def fail_next(
        self,
        endpoint: str,
        error: str = "error-not-allowed",
        *,
        status: int = 400,
        message: str | None = None,
        times: int = 1,
        reset_in: float = 60.0,
        after_effect: bool = False,
        reset: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``endpoint`` (e.g. ``groups.kick``) with an error:
        a 400 of type ``error``, a 401 (not logged in), a 429 whose window resets in
        ``reset_in`` seconds, or a 5xx. With ``after_effect`` the call is carried out first and
        only its answer is replaced (an answer lost after acting); with ``reset`` there is no
        answer: the connection is reset."""
        knobs = self.gateway.knobs
        plan = functools.partial(
            knobs.fail, calls_of(endpoint), times=times, after_effect=after_effect, reset=reset
        )
        if after_effect or reset:
            plan(
                PlannedError(
                    status, {"success": False, "error": message or "Internal server error"}
                )
            )
            return
        if status == 429:
            plan(PlannedError(status, {"success": False, "error": "429"}, reset_in))
            return
        body: dict[str, Any]
        if status == 401:
            body = dict(NOT_LOGGED_IN)
        elif status >= 500:
            body = {"success": False, "error": message or "Internal server error"}
        else:
            body = RcError(error, message, status=status).body()
        plan(PlannedError(status, body))

    def hold_next(self, endpoint: str) -> asyncio.Event:
        """Hold the next call of ``endpoint`` until the returned event is set (then answer it,
        by the rules as they are then)."""
        return self.gateway.knobs.hold(calls_of(endpoint))

    def revoke_token(self) -> None:
        """The bot's personal access token stops working (every call: 401)."""
        self.gateway.revoked.add(self.gateway.tokens.pop(self.bot_user_id))

    def _calls_of(self, endpoint: str) -> Callable[[RcRequest], bool]:
        """Requests to ``endpoint`` (exact name, or a regex if it has ``*``/``|``/``$``)."""
        pattern = re.compile(endpoint if set(endpoint) & set("*|$^") else re.escape(endpoint) + "$")
        return lambda r: bool(pattern.search(r.endpoint))

    def changing_calls(self) -> list[str]:
        """Every state-changing call received (kick, role changes, invite), as "name userId"."""
        return [
            f"{r.endpoint} {(r.body or {}).get('userId')}"
            for r in self.requests
            if r.method == "POST" and CHANGES.search(r.path)
        ]
