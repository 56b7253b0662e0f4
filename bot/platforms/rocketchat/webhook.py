"""Receiving: the outgoing webhook. Rocket.Chat POSTs each triggering message as JSON; the
integration's token is compared in constant time, the message turned into an ``Invocation``
(``@username`` words looked up) and handed to the sink, which only records it; then 200 with an
empty body (so Rocket.Chat posts nothing itself). If recording fails the answer is 500, so an
integration with "Retry Failed Calls" delivers again; the message id is the event id, so a
redelivered message never acts twice."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

import structlog
from aiohttp import web

from bot import errors
from bot.model import Invocation, MentionToken, RoomRef, Token, UserRef, Word
from bot.platform import InvocationSink
from bot.platforms.inbound import JSON, json_object, wrong_content_type
from bot.platforms.rocketchat.config import RocketChatConfig
from bot.platforms.rocketchat.text import mentioned_username, words
from bot.platforms.rocketchat.users import Directory

log = structlog.get_logger(__name__)

PLATFORM = "rocketchat"
REQUIRED_FIELDS = ("message_id", "channel_id", "user_id")


class Webhook:
    def __init__(
        self, config: RocketChatConfig, directory: Directory, bot: UserRef, sink: InvocationSink
    ) -> None:
        self.config = config
        self._directory = directory
        self.bot_user = bot
        self._sink = sink

    async def handle(self, request: web.Request) -> web.Response:
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
        try:
            await self._sink(inv)
        except Exception as exc:
            log.error("could not record a command; asking for redelivery", error=str(exc))
            return web.Response(status=500, text="not recorded; retry")
        return web.Response(status=200)

    def _looks_like_command(self, first: str) -> bool:
        if first.startswith(self.config.prefix):
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
        caller = await self._directory.find("userId", caller_id)
        caller_ref = UserRef(
            caller_id,
            str(user_name) if user_name else (caller.ref.display if caller else None),
            caller.ref.email if caller else None,
        )
        message_id = str(payload["message_id"])
        tmid = payload.get("tmid")
        return Invocation(
            platform=PLATFORM,
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
        found = await self._directory.find("username", name)
        return MentionToken(found.ref, word) if found is not None else Word(word)
