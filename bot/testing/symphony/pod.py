"""An emulated Symphony pod (pod, agent, login and key-manager relay) on a loopback HTTP server.

Every request is checked against the vendored official specs and the double's own responses
are checked too; whatever breaks a rule is answered with an error and recorded in
``pod.violations`` (``pod.assert_no_violations()`` raises :class:`SpecViolation`).
Knobs (``fail_next``, ``hold_next``, ``deactivate_room``, ``expire_sessions``,
``requeue_unacked``, ``redeliver``) are explicit methods; waits (``next_message``,
``wait_for_calls``, ``wait_until_listening``, ``wait_for_unacked``) wake on state changes, never
by polling.

    async with SymphonyPod() as pod:
        pod.add_user(2, "Jane Doe", username="jane")
        room = pod.add_room(None, "Ops", owners=[1000, 2])
        async with SymphonyBdk(BdkConfigLoader.load_from_content(json.dumps(
                pod.bdk_config(pod.write_private_key(tmp_path / "bot.pem"))))) as bdk:
            ...
            pod.say(2, room.stream_id, "/kick @bob spamming")
            reply = await pod.next_message(room.stream_id)
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.testing import spec_check
from bot.testing.kit import EmulatedServer
from bot.testing.symphony import keys
from bot.testing.symphony.agent import AgentRoutes
from bot.testing.symphony.http import Gateway, Knobs, PlannedError, matching
from bot.testing.symphony.messageml import text_to_presentation_ml
from bot.testing.symphony.routes import PodRoutes
from bot.testing.symphony.state import (
    Datafeed,
    Feeds,
    RecordedRequest,
    SimGroup,
    SimMessage,
    SimRoom,
    SimUser,
    new_message_id,
    new_stream_id,
    url_safe_id,
)


class SymphonyPod(EmulatedServer[RecordedRequest]):
    """Pod + agent + login + relay on ``http://127.0.0.1:<port>``; see the module docstring."""

    def __init__(
        self,
        *,
        bot_username: str = "kickbot",
        bot_user_id: int = 1000,
        bot_display_name: str = "kickbot",
        redelivery_seconds: float = 30.0,
        hold_seconds: float = 0.5,
        private_key_pem: str | None = None,
    ) -> None:
        if private_key_pem is None:
            self.private_key_pem, self.public_key_pem = keys.default_key_pair()
        else:
            self.private_key_pem = private_key_pem
            self.public_key_pem = keys.public_from_private(private_key_pem)
        self.bot_username = bot_username
        self.bot_user_id = bot_user_id
        self.redelivery_seconds = redelivery_seconds
        self.hold_seconds = hold_seconds
        self.bot_roles: set[str] = set()
        self.company = "Acme"
        """The pod's own company: members of any other are external."""
        super().__init__()
        self.request_times: list[float] = []
        """``time.monotonic()`` at which each of ``requests`` arrived (same order)."""
        self.users: dict[int, SimUser] = {}
        self.rooms: dict[str, SimRoom] = {}
        self.groups: dict[str, SimGroup] = {}
        self.session_tokens: set[str] = set()
        self.km_tokens: set[str] = set()
        self.expired_tokens: set[str] = set()
        self.knobs = Knobs()
        self.feeds = Feeds(self.changed.notify)
        self._messages: list[SimMessage] = []
        self._events: dict[str, dict[str, Any]] = {}  # message id -> its MESSAGESENT event
        self._readers: set[str] = set()  # session tokens that have read a datafeed
        self.add_user(bot_user_id, bot_display_name, username=bot_username)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        spec_check.self_test()  # a validator that accepts everything must not pass silently
        routes = PodRoutes(self).routes() + AgentRoutes(self).routes()
        await self._serve(Gateway(self, routes).application())

    async def stop(self) -> None:
        self.feeds.close()  # wakes held datafeed reads
        await self._close()

    # -- BDK configuration -------------------------------------------------------------------

    def write_private_key(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(self.private_key_pem, encoding="utf-8")
        target.chmod(0o600)
        return target

    def bdk_config(self, private_key_path: str | Path) -> dict[str, Any]:
        """A BDK config dict pointing pod, agent and key manager at this (started) double."""
        return keys.bdk_config(self.port, self.bot_username, private_key_path)

    # -- world set-up ------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        display_name: str,
        *,
        email: str | None = None,
        username: str | None = None,
        active: bool = True,
        company: str = "Acme",
    ) -> SimUser:
        name = username or re.sub(r"\W+", ".", display_name.lower()).strip(".") or str(user_id)
        user = SimUser(user_id, display_name, email or f"{name}@example.com", name, active, company)
        self.users[user_id] = user
        return user

    def user(self, user_id: int) -> SimUser:
        return self.users[user_id]

    def add_room(
        self,
        stream_id: str | None,
        name: str,
        *,
        owners: Iterable[int],
        members: Iterable[int] = (),
        active: bool = True,
    ) -> SimRoom:
        """A room; ``stream_id`` in standard or URL-safe base64 (kept URL-safe), None: random."""
        owner_ids = list(owners)
        room = SimRoom(
            url_safe_id(stream_id or new_stream_id()),
            name,
            {},
            active=active,
            created_by=owner_ids[0] if owner_ids else self.bot_user_id,
        )
        for uid in members:
            room.set_member(uid, owner=False)
        for uid in owner_ids:
            room.set_member(uid, owner=True)
        self._check_known(room.members)
        self.rooms[room.stream_id] = room
        return room

    def add_im(self, user_id: int, stream_id: str | None = None) -> SimRoom:
        """A 1:1 IM between ``user_id`` and the bot."""
        self._check_known([user_id])
        room = SimRoom(url_safe_id(stream_id or new_stream_id()), "", {}, stream_type="IM")
        room.set_member(self.bot_user_id, owner=False)
        room.set_member(user_id, owner=False)
        self.rooms[room.stream_id] = room
        return room

    def room(self, stream_id: str) -> SimRoom:
        """The room, by its id in either base64 form."""
        return self.rooms[url_safe_id(stream_id)]

    def deactivate_room(self, stream_id: str) -> None:
        self.room(stream_id).active = False

    def add_ib_group(self, gid: str, name: str, members: Iterable[int]) -> SimGroup:
        group = SimGroup(gid, name, set(members))
        self._check_known(group.members)
        self.groups[gid] = group
        return group

    def group(self, gid: str) -> SimGroup:
        return self.groups[gid]

    def _check_known(self, user_ids: Iterable[int]) -> None:
        unknown = sorted(set(user_ids) - self.users.keys())
        if unknown:
            raise ValueError(f"unknown user ids {unknown}: add_user() them first")

    def find_user(self, kind: str, value: str) -> SimUser | None:
        """The user whose ``kind`` (uid, email or username; case-insensitive) is ``value``."""
        if kind == "uid":
            return self.users.get(int(value)) if value.isdigit() else None
        attr = "email" if kind == "email" else "username"
        wanted = value.lower()
        return next((u for u in self.users.values() if getattr(u, attr).lower() == wanted), None)

    def lookup_user(self, kind: str, value: str) -> tuple[int, str] | None:
        """(id, display name) of :meth:`find_user`, as mentions need it."""
        user = self.find_user(kind, value)
        return (user.user_id, user.display_name) if user else None

    # -- people talking ----------------------------------------------------------------------

    def say(self, user_id: int, stream_id: str, text: str) -> str:
        """``user_id`` types ``text`` in the stream; returns the message id.

        ``@username`` / ``@<user id>`` naming a known user becomes a real mention entity; other
        ``@words`` stay text. Goes on every datafeed (said before any exists: on the first one).
        """
        presentation_ml, entities = text_to_presentation_ml(text, self.lookup_user)
        return self._post(user_id, stream_id, presentation_ml, json.dumps(entities), text)

    def send_raw(self, user_id: int, stream_id: str, presentation_ml: str, data_json: str) -> str:
        """Deliver PresentationML and EntityJSON exactly as given (malformed input included)."""
        try:
            text = "".join(ET.fromstring(presentation_ml).itertext())
        except ET.ParseError:
            text = presentation_ml
        return self._post(user_id, stream_id, presentation_ml, data_json, text)

    def _post(self, user_id: int, stream_id: str, pml: str, data: str, text: str) -> str:
        user, room = self.user(user_id), self.room(stream_id)
        message = SimMessage(
            new_message_id(), room.stream_id, pml, text, data, user_id, presentation_ml=pml
        )
        self._messages.append(message)
        self.publish(message, user, room)
        return message.message_id

    def publish(self, message: SimMessage, user: SimUser, room: SimRoom) -> dict[str, Any]:
        """Put a MESSAGESENT event for ``message`` on the datafeeds; returns its V4Message."""
        stream: dict[str, Any] = {"streamId": room.stream_id, "streamType": room.stream_type}
        if room.stream_type == "ROOM":
            stream["roomName"] = room.name
        v4_message: dict[str, Any] = {
            "messageId": message.message_id,
            "timestamp": message.timestamp,
            "message": message.presentation_ml,
            "data": message.data or "{}",
            "user": user.v4_user(),
            "stream": stream,
            "externalRecipients": False,
            "originalFormat": "com.symphony.messageml.v2",
        }
        event = {
            "id": secrets.token_urlsafe(12),
            "messageId": message.message_id,
            "timestamp": message.timestamp,
            "type": "MESSAGESENT",
            "initiator": {"user": user.v4_user()},
            "payload": {"messageSent": {"message": v4_message}},
        }
        self._events[message.message_id] = event
        self.feeds.publish(event)
        return v4_message

    # -- datafeeds ---------------------------------------------------------------------------

    @property
    def datafeeds(self) -> dict[str, Datafeed]:
        return self.feeds.by_id

    def redeliver(self, message_id: str) -> None:
        """Put the (already delivered) event of ``message_id`` on the datafeeds again."""
        self.feeds.publish(self._events[message_id])

    def requeue_unacked(self) -> int:
        """Redeliver now every batch read but not acknowledged; returns how many batches."""
        return self.feeds.requeue_unacked()

    async def wait_for_unacked(self, count: int = 1, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until at least ``count`` batches are read but not acknowledged."""
        await self.changed.wait_for(lambda: self.feeds.unacked() >= count, timeout)

    def mark_listening(self, session_token: str) -> None:
        self._readers.add(session_token)
        self.changed.notify()

    async def wait_until_listening(self, timeout: float = 10.0, *, readers: int = 1) -> None:  # noqa: ASYNC109
        """Wait until ``readers`` sessions (BDK instances) have read a datafeed.

        Count them all when starting several: a BDK ignores ``datafeed().stop()`` called before
        its loop has started, and would then read forever.
        """
        await self.changed.wait_for(lambda: len(self._readers) >= readers, timeout)

    def expire_sessions(self) -> None:
        """Invalidate all session and key-manager tokens (the BDK gets 401, re-authenticates)."""
        self.expired_tokens |= self.session_tokens | self.km_tokens
        self.session_tokens.clear()
        self.km_tokens.clear()

    # -- what the bot sent -------------------------------------------------------------------

    def record_bot_message(self, message: SimMessage) -> None:
        self._messages.append(message)
        self.changed.notify()

    def messages(self, stream_id: str, *, include_users: bool = False) -> list[SimMessage]:
        """Messages the bot posted in the stream (with ``include_users``, everyone's)."""
        sid = url_safe_id(stream_id)
        return [
            m
            for m in self._messages
            if m.stream_id == sid and (include_users or m.user_id == self.bot_user_id)
        ]

    async def next_message(self, stream_id: str, timeout: float = 10.0) -> SimMessage:  # noqa: ASYNC109
        """The bot's next message in the stream not yet returned by ``next_message``."""
        sid = url_safe_id(stream_id)
        return await self.next_of(sid, lambda: self.messages(sid), timeout)

    # -- traffic: knobs, records, assertions -------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        body: dict[str, Any] | None = None,
        times: int = 1,
        retry_after: float | None = None,
        after_effect: bool = False,
        reset: bool = False,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path_regex`` with an error.

        The body defaults to the specs' error shape ``{"code": status, "message": ...}``. With
        ``after_effect`` the request is carried out first and only its answer is replaced (an
        answer lost after acting); with ``reset`` there is no answer: the connection is reset.
        """
        body = body if body is not None else {"code": status, "message": f"injected {status}"}
        self.knobs.fail(
            matching(method, path_regex),
            PlannedError(status, body, retry_after),
            times=times,
            after_effect=after_effect,
            reset=reset,
        )

    def hold_next(self, method: str, path_regex: str) -> asyncio.Event:
        """Hold the next matching request until the returned event is set (then answer it)."""
        return self.knobs.hold(matching(method, path_regex))

    def record(self, request: RecordedRequest) -> None:
        self.request_times.append(time.monotonic())
        super().record(request)

    def call_times(self, method: str, path_regex: str) -> list[float]:
        """When each request matching :meth:`calls` arrived (``time.monotonic()``)."""
        pattern = re.compile(path_regex)
        return [
            at
            for r, at in zip(self.requests, self.request_times, strict=True)
            if r.method == method.upper() and pattern.search(r.path)
        ]

    def calls(self, method: str, path_regex: str) -> list[RecordedRequest]:
        """Recorded requests with this method whose path matches ``path_regex`` (re.search)."""
        matches = matching(method, path_regex)
        return self.recorded(lambda r: matches((r.method, r.path)))

    async def wait_for_calls(
        self,
        method: str,
        path_regex: str,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[RecordedRequest]:
        """Wait until at least ``count`` matching requests have arrived; returns them."""
        matches = matching(method, path_regex)
        return await self.wait_for_recorded(lambda r: matches((r.method, r.path)), count, timeout)
