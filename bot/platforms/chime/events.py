"""kickbot's outbound HTTPS endpoint for Chime chat bot events (aiohttp.web).

Chime POSTs each event with ``Chime-Signature`` = base64(HMAC-SHA256(bot security token,
``Chime-Request-Timestamp`` + "|" + body)) and wants 200 within 2 s; on a timeout or a 5xx it
retries twice with a new timestamp and the same body. So: verify (constant time, and refuse stale
timestamps), turn a Mention into an ``Invocation`` whose event id is the body's sha256, hand it
to the sink (which only records it), answer. 401 for a bad signature (nothing recorded), 503 when
the sender could not be looked up in time and 500 when recording failed (Chime retries both).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from aiohttp import web

from bot.errors import PlatformError
from bot.model import Invocation
from bot.platform import InvocationSink
from bot.platforms.chime.config import ChimeSettings
from bot.platforms.inbound import JSON, MAX_BODY_BYTES, json_object, wrong_content_type

log = structlog.get_logger(__name__)

SIGNATURE = "Chime-Signature"
TIMESTAMP = "Chime-Request-Timestamp"
VERIFICATION = "HTTPSEndpointVerification"

Build = Callable[[dict[str, Any], bytes], Awaitable[Invocation | None]]


class BadEvent(ValueError):
    """A signed event kickbot cannot read (answered 400: a retry would not help)."""


def sign(token: str, timestamp: str, body: bytes) -> str:
    # Header bytes that are not UTF-8 arrive as surrogate escapes: signed as the bytes they were.
    stamp = timestamp.encode("utf-8", "surrogateescape")
    mac = hmac.new(token.encode(), stamp + b"|" + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def parse_timestamp(value: str) -> datetime | None:
    """``Chime-Request-Timestamp`` is ISO 8601 (``2019-04-04T21:30:43.181Z`` in AWS's docs)."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def verify(
    token: str,
    timestamp: str | None,
    body: bytes,
    signature: str | None,
    *,
    now: datetime,
    max_skew_seconds: float,
) -> str | None:
    """Why the request is not a genuine, fresh Chime event; None if it is."""
    if not signature or not timestamp:
        return f"missing {SIGNATURE if not signature else TIMESTAMP} header"
    expected = sign(token, timestamp, body).encode()
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "surrogateescape")):
        return "signature does not match"
    when = parse_timestamp(timestamp)
    if when is None:
        return f"unreadable {TIMESTAMP}: {timestamp[:40]!r}"
    skew = abs((now - when).total_seconds())
    if skew > max_skew_seconds:
        return f"stale or future {TIMESTAMP} ({skew:.0f} s from now)"
    return None


def event_id(body: bytes) -> str:
    """Chime retries with a new timestamp but the same body: the body identifies the event."""
    return hashlib.sha256(body).hexdigest()


class EventEndpoint:
    def __init__(self, settings: ChimeSettings, build: Build) -> None:
        self._settings = settings
        self._build = build
        self._sink: InvocationSink | None = None
        self._runner: web.AppRunner | None = None
        self.url: str | None = None

    async def start(self, sink: InvocationSink) -> None:
        self._sink = sink
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(self._settings.path, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._settings.listen_host, self._settings.listen_port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}{self._settings.path}"
        log.info("chime events endpoint listening", url=self.url)

    @property
    def serving(self) -> bool:
        """Started and not stopped since."""
        return self._runner is not None

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        # Junk is refused before any work: a body over MAX_BODY_BYTES by aiohttp (413), a
        # content type that is not JSON (415), a wrong signature (401) before the body is read
        # as JSON at all. Only an unsigned request is parsed unverified (the handshake, which
        # is answered and changes nothing), and a body the parser cannot take is None, not a
        # 500.
        refused = wrong_content_type(request, (JSON,), absent_ok=True)
        if refused is not None:
            return refused
        body = await request.read()
        signature = request.headers.get(SIGNATURE)
        timestamp = request.headers.get(TIMESTAMP)
        if signature is None and timestamp is None:
            unsigned = json_object(body)
            if unsigned is not None and unsigned.get("EventType") == VERIFICATION:
                # AWS's docs do not say the challenge is signed; echoing it reveals nothing and
                # changes nothing. A signature that is present must still be right.
                return _challenge(unsigned)
        problem = verify(
            self._settings.token,
            timestamp,
            body,
            signature,
            now=datetime.now(UTC),
            max_skew_seconds=self._settings.max_clock_skew_seconds,
        )
        if problem is not None:
            log.warning("chime event refused", reason=problem, remote=request.remote)
            return web.json_response({"Message": "Unauthorized"}, status=401)
        event = json_object(body)
        if event is None:
            return web.json_response({"Message": "Body is not a JSON object"}, status=400)
        if event.get("EventType") == VERIFICATION:
            return _challenge(event)
        return await self._event(event, body)

    async def _event(self, event: dict[str, Any], body: bytes) -> web.StreamResponse:
        try:
            invocation = await self._build(event, body)
        except BadEvent as exc:
            log.warning("unreadable chime event", error=str(exc))
            return web.json_response({"Message": str(exc)}, status=400)
        except (TimeoutError, PlatformError) as exc:
            log.warning("could not read the sender in time; Chime will retry", error=repr(exc))
            return web.json_response({"Message": "Try again"}, status=503)
        if invocation is None:
            return web.Response(status=200)
        assert self._sink is not None
        try:
            await self._sink(invocation)
        except Exception as exc:
            log.error("could not record a command; Chime will retry", error=repr(exc))
            return web.json_response({"Message": "Not recorded"}, status=500)
        return web.Response(status=200)


def _challenge(event: dict[str, Any]) -> web.Response:
    challenge = event.get("Challenge")
    if not isinstance(challenge, str):
        return web.json_response({"Message": "Challenge missing"}, status=400)
    log.info("chime endpoint verification answered")
    return web.json_response({"Challenge": challenge})
