"""The rooms' incoming webhooks of the Chime double (where a bot's replies land).

As AWS documents them (webhooks.md): POST ``{"Content": "..."}``; 1 message per second per room
(else 429), at most 4 KB (else 413), a deleted or expired URL is a 404, a wrong token a 403. An
event's InboundHttpsEndpoint is ShortLived: it expires 2 minutes after it is sent.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.testing.chime.state import Webhook, WebhookMessage

PREFIX = "/incomingwebhooks/"
MAX_BODY = 4096


class Webhooks:
    def __init__(self, ttl_seconds: float, interval_seconds: float) -> None:
        self.ttl = ttl_seconds
        self.interval = interval_seconds
        self.hooks: dict[str, Webhook] = {}
        self.posted: list[WebhookMessage] = []
        self.failures: list[tuple[int, int, float | None]] = []  # status, times, Retry-After
        self._last: dict[str, float] = {}

    def create(self, base_url: str, room_id: str, *, persistent: bool) -> str:
        hook = Webhook(
            str(uuid.uuid4()),
            secrets.token_urlsafe(24),
            room_id,
            None if persistent else time.monotonic() + self.ttl,
        )
        self.hooks[hook.webhook_id] = hook
        return f"{base_url}{PREFIX}{hook.webhook_id}?token={hook.token}"

    def expire_all(self) -> None:
        for hook in self.hooks.values():
            hook.expires_at = time.monotonic() - 1

    def room_of(self, path: str) -> str | None:
        hook = self.hooks.get(path[len(PREFIX) :])
        return hook.room_id if hook else None

    def handle(
        self, request: web.Request, body: bytes, violate: Callable[[str], None]
    ) -> web.Response:
        hook = self.hooks.get(request.path[len(PREFIX) :])
        if request.method != "POST":
            return _error(405, "Use POST.")
        if hook is None or (hook.expires_at is not None and time.monotonic() > hook.expires_at):
            return _error(404, "The webhook does not exist or has expired.")
        if not secrets.compare_digest(request.query.get("token", ""), hook.token):
            return _error(403, "The webhook URL is not valid.")
        if len(body) > MAX_BODY:
            violate(f"body of {len(body)} bytes (Chime allows 4 KB)")
            return _error(413, "The message is too large.")
        content = _json(body)
        if not isinstance(content, dict) or not isinstance(content.get("Content"), str):
            violate('the body must be JSON {"Content": "..."}')
            return _error(400, 'Expected JSON {"Content": "..."}.')
        if set(content) != {"Content"}:
            violate(f"unexpected keys {sorted(set(content) - {'Content'})}")
        if (injected := self._injected()) is not None:
            return injected
        now = time.monotonic()
        last = self._last.get(hook.room_id)
        if last is not None and now - last < self.interval:
            return _error(429, "Rate exceeded: 1 message per second per room.")
        self._last[hook.room_id] = now
        self.posted.append(WebhookMessage(hook.room_id, content["Content"], now))
        return web.json_response({"MessageId": str(uuid.uuid4()), "RoomId": hook.room_id})

    def _injected(self) -> web.Response | None:
        if not self.failures:
            return None
        status, times, hint = self.failures[0]
        if times <= 1:
            self.failures.pop(0)
        else:
            self.failures[0] = (status, times - 1, hint)
        response = _error(status, f"injected {status}")
        if hint is not None:
            response.headers["Retry-After"] = f"{hint:g}"
        return response


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"Message": message}, status=status)
