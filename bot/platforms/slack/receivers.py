"""Where Slack's deliveries come in: over HTTP (the Events API; the signature is checked here,
before Bolt sees the request) or over Socket Mode's websocket."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from urllib.parse import parse_qsl

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot import errors
from bot.platforms.inbound import FORM, JSON, MAX_BODY_BYTES, wrong_content_type
from bot.platforms.slack.config import EVENTS_PATH, SlackSettings
from bot.platforms.slack.errors import to_platform_error

log = structlog.get_logger(__name__)

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
MAX_AGE_SECONDS = 5 * 60
"""Slack's rule: a request signed more than five minutes from now may be a replay."""
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signature_problem(
    secret: bytes, headers: Mapping[str, str], body: bytes, now: float
) -> str | None:
    """Why a request is not a fresh request signed by Slack (None: it is). Slack signs
    ``v0:{timestamp}:{body}``; the timestamp is whole seconds, and anything else (``abc``,
    ``1e3``, digits of other scripts that ``int()`` would take) is refused here, as is a
    signature that is not what Slack's secret gives."""
    timestamp = headers.get(TIMESTAMP_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if timestamp is None or signature is None:
        return f"missing {SIGNATURE_HEADER if timestamp is not None else TIMESTAMP_HEADER}"
    if _TIMESTAMP.fullmatch(timestamp) is None:
        return f"{TIMESTAMP_HEADER} is not a number of seconds"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than five minutes from now"
    # slack_sdk's SignatureVerifier decodes the body as UTF-8 first (and fails on other
    # bytes): the same HMAC over the bytes as they came.
    mac = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    expected = b"v0=" + mac.hexdigest().encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
        return "the signature does not match"
    return None


def _is_ssl_check(body: bytes) -> bool:
    """Slack's ``ssl_check=1`` POST (a check of the certificate, answered 200, nothing done;
    Bolt answers it before any signature check too)."""
    fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields.get("ssl_check") == "1"


async def serve_http(app: AsyncApp, settings: SlackSettings) -> web.AppRunner:
    """The Events API receiver, listening (its port: ``runner.addresses``)."""
    assert settings.signing_secret is not None  # the settings require it in HTTP mode
    secret = settings.signing_secret.get_secret_value().encode()

    async def handle(request: web.Request) -> web.Response:
        # Bolt parses the body before it checks the signature, and its check fails with a
        # 500 on a timestamp that is not a number: both are done here first.
        refused = wrong_content_type(request, (JSON, FORM))
        if refused is not None:
            return refused
        body = await request.read()
        if request.content_type == FORM and _is_ssl_check(body):
            return web.Response(status=200)  # Slack checking the certificate, as Bolt does
        problem = signature_problem(secret, request.headers, body, time.time())
        if problem is not None:
            log.warning(
                "refused a request with a bad or stale Slack signature",
                reason=problem,
                remote=request.remote,
                timestamp=ascii(request.headers.get(TIMESTAMP_HEADER, "")[:40]),
            )
            return web.Response(status=401, text="bad or stale signature")
        try:
            bolt_request = AsyncBoltRequest(
                body=body.decode("utf-8"),
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]
            )
        except Exception as exc:  # signed, yet not a body Slack sends: Bolt cannot read it
            log.warning("refused a signed request whose body cannot be read", error=repr(exc))
            return web.Response(status=400, text="unreadable body")
        response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, handle)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.listen_host, settings.listen_port).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def connect_socket(
    app: AsyncApp, settings: SlackSettings, client: AsyncWebClient
) -> AsyncSocketModeHandler:
    """Socket Mode's websocket, connected."""
    assert settings.app_token is not None
    handler = AsyncSocketModeHandler(
        app, app_token=settings.app_token.get_secret_value(), web_client=client
    )
    try:
        # The SDK's connect() retries forever on any error; ask for the URL here so that a bad
        # app token fails the start with Slack's reason.
        try:
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
        except Exception as exc:
            raise to_platform_error("apps.connections.open", exc) from exc
        try:
            await asyncio.wait_for(handler.connect_async(), timeout=30)  # type: ignore[no-untyped-call]
        except TimeoutError:
            raise errors.Unavailable(
                "cannot open Slack's Socket Mode websocket", status=503
            ) from None
    except BaseException:
        with contextlib.suppress(Exception):
            await handler.close_async()  # type: ignore[no-untyped-call]
        raise
    return handler
