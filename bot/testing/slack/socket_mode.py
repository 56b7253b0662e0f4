"""Socket Mode on the Slack double: the websocket that ``apps.connections.open`` hands out.

Protocol (api.slack.com/apis/socket-mode): the server says ``{"type": "hello", …}`` on connect,
then sends envelopes ``{"envelope_id", "type": "events_api" | "slash_commands", "payload",
"accepts_response_payload", "retry_attempt", "retry_reason"}``; the app acknowledges each by
sending back ``{"envelope_id": …}`` (with an optional ``payload``). An envelope not
acknowledged is delivered again by Slack: ``send`` with the same payload and a higher
``retry_attempt`` does that.
"""

from __future__ import annotations

import json
import secrets
import uuid
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from bot.testing.slack.workspace import SlackWorkspace

EnvelopeType = Literal["events_api", "slash_commands", "interactive"]


class SocketModeServer:
    def __init__(self, workspace: SlackWorkspace) -> None:
        self._ws = workspace
        self._tickets: set[str] = set()
        self.connections: list[web.WebSocketResponse] = []
        self.sent: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.connects = 0

    def new_url(self) -> str:
        """A single-use websocket URL, as ``apps.connections.open`` returns."""
        ticket = secrets.token_urlsafe(12)
        self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self._ws.port}/socket-mode/{ticket}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.match_info["ticket"]
        if ticket not in self._tickets:
            self._ws.violate("socket", f"connect with an unknown or used ticket {ticket}")
            return web.Response(status=401, text="invalid ticket")
        self._tickets.discard(ticket)
        conn = web.WebSocketResponse(autoping=True)
        await conn.prepare(request)
        self.connections.append(conn)
        self.connects += 1
        await conn.send_json(
            {
                "type": "hello",
                "num_connections": len(self.connections),
                "debug_info": {"host": "kickbot-double", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self._ws.app_id},
            }
        )
        self._ws.changed.notify()
        try:
            async for msg in conn:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            self.connections.remove(conn)
            self._ws.changed.notify()
        return conn

    def _on_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            self._ws.violate("socket", f"not JSON: {data[:200]}")
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if not isinstance(envelope_id, str):
            self._ws.violate("socket", f"a message that acknowledges no envelope: {data[:200]}")
            return
        if not any(e["envelope_id"] == envelope_id for e in self.sent):
            self._ws.violate("socket", f"ack of an envelope never sent: {envelope_id}")
            return
        if envelope_id in self.acks:
            self._ws.violate("socket", f"envelope {envelope_id} acknowledged twice")
            return
        self.acks[envelope_id] = message
        self._ws.changed.notify()

    async def send(
        self,
        kind: EnvelopeType,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver an envelope on the newest connection; returns its envelope id."""
        if not self.connections:
            raise RuntimeError("no Socket Mode connection: is the bot started in socket mode?")
        envelope = {
            "envelope_id": str(uuid.uuid4()),
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        self.sent.append(envelope)
        await self.connections[-1].send_json(envelope)
        return str(envelope["envelope_id"])

    async def wait_connected(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self._ws.changed.wait_for(lambda: bool(self.connections), timeout)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The app's acknowledgement of an envelope (its ``payload`` is the command's answer)."""
        await self._ws.changed.wait_for(lambda: envelope_id in self.acks, timeout)
        return self.acks[envelope_id]

    async def close(self) -> None:
        for conn in list(self.connections):
            await conn.close()
