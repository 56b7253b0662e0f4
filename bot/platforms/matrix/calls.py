"""Calling the homeserver through matrix-nio: an error answer as a ``PlatformError``, and the
session (client and bot account) the adapter's parts share."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import ClientError
from nio import AsyncClient, ErrorResponse

from bot import errors, telemetry
from bot.model import UserRef
from bot.platforms.started import started

T = TypeVar("T")


def to_platform_error(resp: Any) -> errors.PlatformError:
    """A nio ``ErrorResponse`` as a ``PlatformError`` (detail = errcode: the server's words)."""
    code = str(getattr(resp, "status_code", None) or "")
    message = str(getattr(resp, "message", "") or "no detail")
    transport = getattr(resp, "transport_response", None)
    status = int(getattr(transport, "status", 0) or 0) or None
    retry_ms = getattr(resp, "retry_after_ms", None)
    body = getattr(resp, "content", None)
    if not code and isinstance(body, dict):  # an error body nio kept as content (see call)
        code = str(body.get("errcode") or "")
        message = str(body.get("error") or message)
        retry_ms = body.get("retry_after_ms", retry_ms)
    raw: dict[str, Any] = {"errcode": code, "error": message}
    if retry_ms is not None:
        raw["retry_after_ms"] = retry_ms
    response = json.dumps(raw)
    detail = f"{code}: {message}" if code else message
    if code == "M_FORBIDDEN":
        return errors.Forbidden(detail, response=response)
    if code == "M_NOT_FOUND":
        return errors.NotFound(detail, response=response)
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        after = retry_ms / 1000 if isinstance(retry_ms, int | float) else None
        return errors.RateLimited(detail, retry_after=after, response=response)
    if code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
        return errors.Unauthorized(detail, response=response)
    return errors.from_status(status or 500, detail, response)


async def call(what: str, call: Awaitable[T]) -> T:
    """The homeserver's answer to ``call``, the operation ``what`` (named in the code: the
    metrics' operation label); an error answer as a ``PlatformError``."""
    with telemetry.api_call("matrix", what):
        try:
            resp = await call
        except (ClientError, TimeoutError) as exc:
            raise errors.Unavailable(
                f"cannot reach the homeserver ({what}): {exc!r}", status=503
            ) from exc
        if isinstance(resp, ErrorResponse) or http_status(resp) >= 400:
            # nio 0.26 returns some error answers as a success type: RoomGetStateEventResponse
            # keeps the error body as the event's content (power levels read as {"errcode": …}).
            raise to_platform_error(resp)
        return resp


def http_status(resp: Any) -> int:
    return int(getattr(getattr(resp, "transport_response", None), "status", 0) or 0)


class Session:
    """The logged-in client and the bot's own account (set by ``MatrixPlatform.start``)."""

    def __init__(self) -> None:
        self.client: AsyncClient | None = None
        self.bot: UserRef | None = None

    def nio(self) -> AsyncClient:
        return started(self.client, "Matrix")

    @property
    def bot_user(self) -> UserRef:
        return started(self.bot, "Matrix")
