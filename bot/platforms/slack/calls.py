"""Calling Slack's Web API through slack_sdk: the clients (the one for changes and reads, which
waits out a 429 and retries a dropped connection; a quick one for looking a caller up before
the ack), and a call's failure as a ``PlatformError`` that says whether it was sent again."""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.http_retry.async_handler import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import telemetry
from bot.platforms.slack.config import SlackSettings, api_base_url
from bot.platforms.slack.errors import to_platform_error
from bot.platforms.started import started

LOOKUP_TIMEOUT_SECONDS = 2
"""Looking the caller up happens before the ack, which Slack wants within 3 s."""
RATE_LIMIT_RETRIES = 3
_RESENT: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "kickbot_slack_resent", default=None
)
"""The connection retries of the call being made (see ``call``)."""


class _NotedConnectionRetries(AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry of a dropped connection, noted for the call being made: a change sent
    again may meet its own lost answer's effect (``not_in_channel``, ``already_in_channel``)."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        noted = _RESENT.get()
        if noted is not None:
            noted.append(state.current_attempt)
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


class MeasuredWebClient(AsyncWebClient):
    """slack_sdk's client, each Web API call measured by its method (``conversations.kick``;
    ``bot.telemetry``). ``_request`` is where every call goes, a list's later pages included
    (``AsyncSlackResponse`` fetches them through it), and with the retries handled inside."""

    async def _request(self, *, http_verb: str, api_url: str, req_args: dict[str, Any]) -> Any:
        with telemetry.api_call("slack", api_url.rsplit("/", 1)[-1]) as call:
            answer = await super()._request(http_verb=http_verb, api_url=api_url, req_args=req_args)
            status = int(answer.get("status_code") or 0)
            data = answer.get("data")
            if status >= 400:
                call.status = str(status)
            elif isinstance(data, dict) and data.get("ok") is False:
                call.status = "error"  # Slack's refusals come back as 200 with "ok": false
            return answer


def web_client(settings: SlackSettings, session: aiohttp.ClientSession) -> AsyncWebClient:
    """The Web API client kickbot uses: a 429 waits for ``Retry-After`` and tries again
    (slack_sdk's handler), as does a dropped connection."""
    return MeasuredWebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=api_base_url(settings),
        session=session,
        timeout=settings.api_timeout_seconds,
        retry_handlers=[
            _NotedConnectionRetries(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


class Clients:
    """The Web API clients, made when the platform signs in, over one HTTP session."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._api: AsyncWebClient | None = None
        self._quick: AsyncWebClient | None = None

    def open(self, settings: SlackSettings) -> AsyncWebClient:
        """Make the clients; the one for changes and reads."""
        self._session = aiohttp.ClientSession()
        self._api = web_client(settings, self._session)
        self._quick = MeasuredWebClient(
            token=settings.bot_token.get_secret_value(),
            base_url=api_base_url(settings),
            session=self._session,
            timeout=LOOKUP_TIMEOUT_SECONDS,
        )
        return self._api

    def api(self) -> AsyncWebClient:
        return started(self._api, "Slack")

    def quick(self) -> AsyncWebClient:
        """For lookups before the ack: gives up after ``LOOKUP_TIMEOUT_SECONDS``."""
        return started(self._quick, "Slack")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._api = self._quick = None


async def call(method: str, request: Awaitable[AsyncSlackResponse]) -> dict[str, Any]:
    """The answer's data; a failure as a ``PlatformError`` (``resent``: a connection retry
    sent it again, so an earlier attempt may have acted)."""
    retries: list[int] = []
    noting = _RESENT.set(retries)
    try:
        response = await request
    except Exception as exc:
        err = to_platform_error(method, exc)
        err.resent = bool(retries)  # an earlier attempt may have acted
        raise err from exc
    finally:
        _RESENT.reset(noting)
    return response.data if isinstance(response.data, dict) else {}
