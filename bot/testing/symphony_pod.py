"""An emulated Symphony pod (pod, agent, login and key-manager relay) on a loopback HTTP server.

Every request is checked against the vendored official specs and the double's own responses
are checked too; whatever breaks a rule is answered with an error and recorded in
``pod.violations`` (``pod.assert_no_violations()`` raises :class:`SpecViolation`).

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
import functools
import json
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.typedefs import Handler
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.testing import spec_check
from bot.testing.messageml import text_to_presentation_ml
from bot.testing.spec_check import SpecRequest, SpecResponse, SpecViolation
from bot.testing.symphony_routes import Auth, SymphonyRoutes, error_response, parse_body
from bot.testing.symphony_state import (
    Datafeed,
    RecordedRequest,
    SimGroup,
    SimMessage,
    SimRoom,
    SimUser,
    new_message_id,
    new_stream_id,
    url_safe_id,
)


@functools.cache
def _default_key_pair() -> tuple[str, str]:
    """One RSA 2048 key pair per process (generating one costs ~50 ms; pods are many)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _public_from_private(private_key_pem: str) -> str:
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    status: int
    body: dict[str, Any]
    remaining: int
    retry_after: float | None


class SymphonyPod:
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
            self.private_key_pem, self.public_key_pem = _default_key_pair()
        else:
            self.private_key_pem = private_key_pem
            self.public_key_pem = _public_from_private(private_key_pem)
        self.bot_username = bot_username
        self.bot_user_id = bot_user_id
        self.redelivery_seconds = redelivery_seconds
        self.hold_seconds = hold_seconds
        self.bot_roles: set[str] = set()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.users: dict[int, SimUser] = {}
        self.rooms: dict[str, SimRoom] = {}
        self.groups: dict[str, SimGroup] = {}
        self.datafeeds: dict[str, Datafeed] = {}
        self.session_tokens: set[str] = set()
        self.km_tokens: set[str] = set()
        self.expired_tokens: set[str] = set()
        self._messages: list[SimMessage] = []
        self._events: dict[str, dict[str, Any]] = {}  # message id -> its MESSAGESENT event
        self._backlog: list[dict[str, Any]] = []  # said before any datafeed existed
        self._consumed: dict[str, int] = {}  # stream id -> bot messages taken by next_message
        self._message_added = asyncio.Condition()
        self._listening = asyncio.Event()
        self._failures: list[_Failure] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._routes = SymphonyRoutes(self)
        self.add_user(bot_user_id, bot_display_name, username=bot_username)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        spec_check.self_test()  # a validator that accepts everything must not pass silently
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(self._routes.route_defs())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for feed in self.datafeeds.values():
            feed.close()  # wakes held reads
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("SymphonyPod is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- BDK configuration -------------------------------------------------------------------

    def write_private_key(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(self.private_key_pem, encoding="utf-8")
        target.chmod(0o600)
        return target

    def bdk_config(self, private_key_path: str | Path) -> dict[str, Any]:
        """A BDK config dict pointing pod, agent and key manager at this double."""
        server = {"scheme": "http", "host": "127.0.0.1", "port": self.port}
        return {
            **server,
            "pod": dict(server),
            "agent": dict(server),
            "keyManager": dict(server),
            "bot": {"username": self.bot_username, "privateKey": {"path": str(private_key_path)}},
            "datafeed": {
                "version": "v2",  # a datafeed section without it crashes SymphonyBdk()
                "retry": {
                    "maxAttempts": 3,
                    "initialIntervalMillis": 50,
                    "multiplier": 2,
                    "maxIntervalMillis": 200,
                },
            },
            "retry": {
                "maxAttempts": 2,
                "initialIntervalMillis": 50,
                "multiplier": 1,
                "maxIntervalMillis": 100,
            },
        }

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
        """A room; ``stream_id`` may be given in standard or URL-safe base64 (stored URL-safe)."""
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

    def lookup_user(self, kind: str, value: str) -> tuple[int, str] | None:
        """(id, display name) of the user whose uid/email/username is ``value``."""
        if kind == "uid":
            user = self.users.get(int(value)) if value.isdigit() else None
        else:
            wanted = value.lower()
            attr = "email" if kind == "email" else "username"
            user = next(
                (u for u in self.users.values() if getattr(u, attr).lower() == wanted), None
            )
        return (user.user_id, user.display_name) if user else None

    # -- conversation ------------------------------------------------------------------------

    def say(self, user_id: int, stream_id: str, text: str) -> str:
        """``user_id`` types ``text`` in the stream; returns the message id.

        ``@username`` / ``@<user id>`` naming a known user becomes a real mention entity.
        Delivered to every datafeed; said before any feed exists, it waits for the first one.
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
        message = SimMessage(new_message_id(), room.stream_id, pml, text, data, user_id)
        message.presentation_ml = pml
        self._messages.append(message)
        self.publish(message, user, room)
        return message.message_id

    def publish(self, message: SimMessage, user: SimUser, room: SimRoom) -> dict[str, Any]:
        """Put a MESSAGESENT event for ``message`` on the datafeeds; returns its V4Message."""
        v4_message: dict[str, Any] = {
            "messageId": message.message_id,
            "timestamp": message.timestamp,
            "message": message.presentation_ml,
            "data": message.data or "{}",
            "user": user.v4_user(),
            "stream": self.v4_stream(room),
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
        self._enqueue(event)
        return v4_message

    @staticmethod
    def v4_stream(room: SimRoom) -> dict[str, Any]:
        stream: dict[str, Any] = {"streamId": room.stream_id, "streamType": room.stream_type}
        if room.stream_type == "ROOM":
            stream["roomName"] = room.name
        return stream

    def _enqueue(self, event: dict[str, Any]) -> None:
        if not self.datafeeds:
            self._backlog.append(event)
        for feed in self.datafeeds.values():
            feed.enqueue(event)

    def redeliver(self, message_id: str) -> None:
        """Put the (already delivered) event of ``message_id`` on the datafeeds again."""
        self._enqueue(self._events[message_id])

    def requeue_unacked(self) -> int:
        """Redeliver every batch read but not yet acknowledged now; returns how many."""
        return sum(feed.requeue_all() for feed in self.datafeeds.values())

    def expire_sessions(self) -> None:
        """Invalidate all session and key-manager tokens (the BDK gets 401, re-authenticates)."""
        self.expired_tokens |= self.session_tokens | self.km_tokens
        self.session_tokens.clear()
        self.km_tokens.clear()

    def new_datafeed(self) -> Datafeed:
        feed = Datafeed(f"{secrets.token_hex(16)}_f")
        self.datafeeds[feed.feed_id] = feed
        for event in self._backlog:
            feed.enqueue(event)
        self._backlog.clear()
        return feed

    def schedule_redelivery(self, feed: Datafeed, ack_id: str) -> None:
        batch = feed.unacked.get(ack_id)
        if batch is not None:
            loop = asyncio.get_running_loop()
            batch.timer = loop.call_later(self.redelivery_seconds, feed.requeue, ack_id)

    def mark_listening(self) -> None:
        self._listening.set()

    async def wait_until_listening(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until some client has read a datafeed (the bot is listening)."""
        await asyncio.wait_for(self._listening.wait(), timeout)

    # -- what the bot sent -------------------------------------------------------------------

    async def record_bot_message(self, message: SimMessage) -> None:
        async with self._message_added:
            self._messages.append(message)
            self._message_added.notify_all()

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

        def unread() -> bool:
            return len(self.messages(sid)) > self._consumed.get(sid, 0)

        async with self._message_added:
            await asyncio.wait_for(self._message_added.wait_for(unread), timeout)
            index = self._consumed.get(sid, 0)
            self._consumed[sid] = index + 1
            return self.messages(sid)[index]

    # -- behaviour knobs and assertions ------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: dict[str, Any] | None = None,
        times: int = 1,
        *,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and ``path_regex`` with an error.

        The body defaults to the spec's Error shape ``{"code": status, "message": ...}``.
        """
        self._failures.append(
            _Failure(
                method.upper(),
                re.compile(path_regex),
                status,
                body if body is not None else {"code": status, "message": f"injected {status}"},
                times,
                retry_after,
            )
        )

    def _take_failure(self, method: str, path: str) -> web.Response | None:
        for failure in self._failures:
            if failure.remaining > 0 and failure.method == method and failure.path.search(path):
                failure.remaining -= 1
                response = web.json_response(failure.body, status=failure.status)
                if failure.retry_after is not None:
                    response.headers["Retry-After"] = f"{failure.retry_after:g}"
                return response
        return None

    def calls(self, method: str, path_regex: str) -> list[RecordedRequest]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and pattern.search(r.path)]

    def violate(self, kind: str, request: web.Request, detail: str) -> None:
        self.violations.append(f"[{kind}] {request.method} {request.path}: {detail}")

    def assert_no_violations(self) -> None:
        if self.violations:
            raise SpecViolation(self.violations)

    # -- the request pipeline ----------------------------------------------------------------

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Handler,
    ) -> web.StreamResponse:
        body = await request.read()
        recorded = RecordedRequest(
            request.method,
            request.path,
            dict(request.query),
            dict(request.headers),
            parse_body(body, request.headers.get("Content-Type", "")),
        )
        self.requests.append(recorded)
        response = await self._answer(request, handler, body)
        recorded.status = response.status
        return response

    async def _answer(
        self,
        request: web.Request,
        handler: Handler,
        body: bytes,
    ) -> web.StreamResponse:
        if request.match_info.http_exception is not None:
            detail = "the emulated pod does not serve this route"
            if "%2F" in request.raw_path.upper() or "%2B" in request.raw_path.upper():
                detail = "a stream id in the path is not URL-safe base64 (use - and _, no =)"
            self.violate("unimplemented", request, detail)
            return error_response(501, f"Not implemented: {request.method} {request.path}")
        auth = self._routes.auth_for(request.match_info.route)
        if (refusal := self._check_auth(request, auth)) is not None:
            return refusal
        spec_request = SpecRequest(
            request.method,
            request.path,
            body or None,
            request.headers.get("Content-Type", ""),
            query=request.query.items(),
            headers=request.headers.items(),
        )
        if (error := spec_check.check_request(spec_request)) is not None:
            self.violate("spec", request, error)
            return error_response(400, f"Request does not match the API spec: {error}")
        if (failure := self._take_failure(request.method, request.path)) is not None:
            return failure
        response = await handler(request)
        if isinstance(response, web.Response):
            data = response.body if isinstance(response.body, bytes) else None
            checked = SpecResponse(
                response.status, data, response.headers.get("Content-Type", ""), response.headers
            )
            if (error := spec_check.check_response(spec_request, checked)) is not None:
                self.violate("response", request, f"the double's own response: {error}")
        return response

    def _check_auth(self, request: web.Request, auth: Auth) -> web.Response | None:
        required = {
            "none": (),
            "session": (("sessionToken", self.session_tokens),),
            "session+km": (
                ("sessionToken", self.session_tokens),
                ("keyManagerToken", self.km_tokens),
            ),
        }[auth]
        for header, valid in required:
            token = request.headers.get(header)
            if token in valid:
                continue
            if token not in self.expired_tokens:  # an expired token is normal life, not a bug
                self.violate("auth", request, f"missing or unknown {header} header")
            return error_response(401, f"Invalid {header}")
        return None
