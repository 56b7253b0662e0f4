"""Agent handlers of the emulated Symphony pod: agent info, datafeeds v5, message create."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.testing.symphony.http import ApiError, Auth, Route, form_fields
from bot.testing.symphony.messageml import (
    MessageMLError,
    parse_messageml,
    render_text,
    to_presentation_ml,
)
from bot.testing.symphony.routes import find_stream, read_json
from bot.testing.symphony.state import Datafeed, SimMessage, new_message_id

if TYPE_CHECKING:
    from bot.testing.symphony.pod import SymphonyPod

AGENT_VERSION = "25.8.1"  # the vendored agent spec's version
_FEED_GONE = "Do not retry: the feed no longer exists, please create a new feed."


class AgentRoutes:
    """Agent handlers over the state held by the :class:`SymphonyPod`."""

    def __init__(self, pod: SymphonyPod) -> None:
        self.pod = pod

    def routes(self) -> list[Route]:
        # The spec marks keyManagerToken optional; the agent needs it for datafeeds and messages.
        km: Auth = "session+km"
        return [
            Route("GET", "/agent/v1/info", self.agent_info, "none"),
            Route("GET", "/agent/v5/datafeeds", self.list_feeds, km),
            Route("POST", "/agent/v5/datafeeds", self.create_feed, km),
            Route("POST", "/agent/v5/datafeeds/{feed}/read", self.read_feed, km),
            Route("DELETE", "/agent/v5/datafeeds/{feed}", self.delete_feed, km),
            Route("POST", "/agent/v4/stream/{sid}/message/create", self.create_message, km),
        ]

    async def agent_info(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "ipAddress": "127.0.0.1",
                "hostname": "localhost",
                "serverFqdn": self.pod.url,
                "version": AGENT_VERSION,
                "url": self.pod.url + "/agent",
                "onPrem": True,
                "mt": False,
                "commitId": "emulated",
            }
        )

    # -- datafeeds v5 ------------------------------------------------------------------------

    def _feed(self, request: web.Request) -> Datafeed:
        feed = self.pod.feeds.by_id.get(request.match_info["feed"])
        if feed is None:
            raise ApiError(400, _FEED_GONE)
        return feed

    @staticmethod
    def _feed_json(feed: Datafeed) -> dict[str, Any]:
        return {"id": feed.feed_id, "createdAt": feed.created_at, "type": "fanout"}

    async def list_feeds(self, request: web.Request) -> web.Response:
        return web.json_response([self._feed_json(f) for f in self.pod.feeds.by_id.values()])

    async def create_feed(self, request: web.Request) -> web.Response:
        return web.json_response(self._feed_json(self.pod.feeds.create()), status=201)

    async def delete_feed(self, request: web.Request) -> web.Response:
        self.pod.feeds.delete(self._feed(request))
        return web.Response(status=204)

    async def read_feed(self, request: web.Request) -> web.Response:
        feed = self._feed(request)
        body = await read_json(request) or {}
        ack_id = body.get("ackId", "")
        if not isinstance(ack_id, str) or not feed.well_formed(ack_id):
            raise ApiError(400, "Do not retry: the format of the provided ackId may be incorrect.")
        feed.ack(ack_id)
        self.pod.mark_listening(request.headers.get("sessionToken", ""))
        await self._hold(feed)
        if feed.deleted:
            raise ApiError(400, _FEED_GONE)
        new_ack_id, events = self.pod.feeds.take(feed, self.pod.redelivery_seconds)
        return web.json_response({"events": events, "ackId": new_ack_id})

    async def _hold(self, feed: Datafeed) -> None:
        """Wait up to ``hold_seconds`` for an event, waking as soon as one arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.pod.hold_seconds
        while not feed.pending and not feed.deleted:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            feed.changed.clear()
            try:
                await asyncio.wait_for(feed.changed.wait(), remaining)
            except TimeoutError:
                return

    # -- messages ----------------------------------------------------------------------------

    async def create_message(self, request: web.Request) -> web.Response:
        room = find_stream(self.pod, request.match_info["sid"])
        try:
            form = form_fields(await request.read(), request.headers.get("Content-Type", ""))
        except ValueError as exc:
            problem = f"Body is not multipart/form-data: {exc}"
            raise ApiError(400, problem, violation="spec") from exc
        raw = form.get("message")
        if raw is None:  # spec gap: the spec marks no form field required
            raise ApiError(400, "The 'message' field is required", violation="spec-gap")
        try:
            root = parse_messageml(raw)
        except MessageMLError as exc:
            raise ApiError(400, str(exc), violation="messageml") from exc
        data = self._entity_json(form.get("data"))
        if not room.active:
            # "If false, no messages can be sent in this stream" (RoomSystemInfo.active).
            raise ApiError(400, f"Stream {room.stream_id} is deactivated: no messages can be sent")
        presentation_ml, mentions = to_presentation_ml(root, self.pod.lookup_user)
        bot = self.pod.user(self.pod.bot_user_id)
        message = SimMessage(
            message_id=new_message_id(),
            stream_id=room.stream_id,
            messageml=raw,
            text=render_text(root, self.pod.lookup_user),
            data=form.get("data"),
            user_id=bot.user_id,
            presentation_ml=presentation_ml,
        )
        self.pod.record_bot_message(message)
        # Readers get the mention entities the agent generated, next to the bot's own data.
        delivered = dataclasses.replace(message, data=json.dumps({**mentions, **data}))
        return web.json_response(self.pod.publish(delivered, bot, room))

    @staticmethod
    def _entity_json(raw: str | None) -> dict[str, Any]:
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, f"'data' is not JSON: {exc}", violation="messageml") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "'data' must be a JSON object", violation="messageml")
        return data
