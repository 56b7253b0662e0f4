"""Rocket.Chat REST API v1 over one shared ``httpx.AsyncClient``.

Every call goes through a per-endpoint pace (aiolimiter, matching the server's default limiter
of 10 calls per 60 s per endpoint) and through tenacity: a 429 waits until the server's
``X-RateLimit-Reset`` and tries again (the server did nothing, so nothing is doubled); a failed GET
is retried with backoff; a failed POST is not retried (it may have been applied). Connection
failures before anything is sent are retried by the transport. The server's errors become
``PlatformError``s whose detail says what happened in words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from bot import errors, telemetry

log = structlog.get_logger(__name__)

NOT_LOGGED_IN = (
    "Rocket.Chat refused the bot's credentials (“You must be logged in to do this.”): check "
    "rocketchat.user_id and rocketchat.auth_token (a personal access token of the bot user)"
)
NO_PERMISSION = (
    "the bot's Rocket.Chat user lacks the permission for this in this room (kick needs "
    "remove-user, demote needs set-owner/set-moderator: make the bot an owner of the room or "
    "give its role these permissions)"
)

# errorType -> (kind of failure, what it means in words)
KNOWN_ERRORS: dict[str, tuple[type[errors.PlatformError], str]] = {
    "error-you-are-last-owner": (
        errors.BadRequest,
        "Rocket.Chat refuses to remove the room's last owner; make someone else an owner first",
    ),
    "error-remove-last-owner": (
        errors.BadRequest,
        "Rocket.Chat refuses to demote the room's last owner; make someone else an owner first",
    ),
    "error-not-allowed": (errors.Forbidden, NO_PERMISSION),
    "error-unauthorized": (errors.Forbidden, NO_PERMISSION),
    "error-user-not-in-room": (errors.BadRequest, "the user is not in this room (any more)"),
    "error-room-not-found": (
        errors.NotFound,
        "Rocket.Chat knows no such room for the bot (a private group must have the bot as a "
        "member, and its type may have changed)",
    ),
    "error-invalid-room": (errors.NotFound, "Rocket.Chat knows no such room"),
    "error-invalid-user": (errors.NotFound, "Rocket.Chat knows no such user"),
    "error-user-not-owner": (errors.BadRequest, "the user is not an owner of this room"),
    "error-user-not-moderator": (errors.BadRequest, "the user is not a moderator of this room"),
    "error-room-archived": (errors.BadRequest, "the room is archived: its membership is locked"),
}


@dataclass(frozen=True)
class RestSettings:
    url: str
    user_id: str
    auth_token: str
    rate_limit_calls: int = 10
    rate_limit_seconds: float = 60.0
    max_retries: int = 3
    max_wait_seconds: float = 90.0
    timeout_seconds: float = 10.0
    max_connections: int = 10


def api_base(url: str) -> str:
    return url.rstrip("/") + "/api/v1/"


def to_platform_error(response: httpx.Response, endpoint: str) -> errors.PlatformError:
    """The PlatformError for a Rocket.Chat error answer (any status but a 2xx)."""
    raw = response.text
    try:
        body = response.json()
    except ValueError:
        body = None
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    status = response.status_code
    said = str(data.get("error") or data.get("message") or raw[:200] or f"HTTP {status}")
    if status == 401:
        return errors.Unauthorized(NOT_LOGGED_IN, response=raw)
    if status == 429:
        return errors.RateLimited(
            f"Rocket.Chat is rate-limiting {endpoint} ({said})",
            retry_after=reset_delay(response),
            response=raw,
        )
    if status >= 500:
        return errors.Unavailable(
            f"Rocket.Chat failed on {endpoint} (HTTP {status}): {said}", status=status, response=raw
        )
    kind = str(data.get("errorType") or "")
    known = KNOWN_ERRORS.get(kind)
    if known is not None:
        cls, meaning = known
        return cls(f"{meaning} (Rocket.Chat: {said})", status=status, response=raw)
    if status == 403:
        return errors.Forbidden(f"{NO_PERMISSION} (Rocket.Chat: {said})", response=raw)
    return errors.from_status(status, f"Rocket.Chat refused {endpoint}: {said}", raw)


def reset_delay(response: httpx.Response) -> float | None:
    """Seconds until ``X-RateLimit-Reset`` (epoch milliseconds), or None if absent."""
    header = response.headers.get("X-RateLimit-Reset")
    if header is None:
        return None
    try:
        reset_ms = float(header)
    except ValueError:
        return None
    # A little margin: the server's window must really be over when the retry arrives.
    return max(0.0, reset_ms / 1000.0 - time.time()) + 0.02


class RestClient:
    """One shared client for the whole adapter: auth headers, pacing, retries, error mapping."""

    def __init__(
        self, settings: RestSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ):
        self._settings = settings
        limits = httpx.Limits(
            max_connections=settings.max_connections,
            max_keepalive_connections=settings.max_connections,
        )
        self._http = httpx.AsyncClient(
            base_url=api_base(settings.url),
            headers={"X-User-Id": settings.user_id, "X-Auth-Token": settings.auth_token},
            timeout=httpx.Timeout(
                settings.timeout_seconds, connect=min(5.0, settings.timeout_seconds)
            ),
            # retries=2: connection failures only, when nothing reached the server.
            transport=transport or httpx.AsyncHTTPTransport(retries=2, limits=limits),
        )
        self._limiters: dict[str, AsyncLimiter] = {}

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared client (the bench makes the same calls with it directly)."""
        return self._http

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, endpoint: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        return await self._call("GET", endpoint, params=params)

    async def post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("POST", endpoint, body=body)

    def _limiter(self, key: str) -> AsyncLimiter | None:
        if self._settings.rate_limit_calls <= 0:
            return None
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = AsyncLimiter(
                self._settings.rate_limit_calls, self._settings.rate_limit_seconds
            )
            self._limiters[key] = limiter
        return limiter

    async def _call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(1 + self._settings.max_retries),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: self._retryable(method, exc)),
            before_sleep=lambda state: _log_retry(method, endpoint, state),
            reraise=True,
        )
        with telemetry.api_call("rocketchat", endpoint):  # the REST method: no id in it
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, endpoint, params, body)
        raise AssertionError(
            "tenacity ends with a result or the last exception"
        )  # pragma: no cover

    async def _once(
        self,
        method: str,
        endpoint: str,
        params: dict[str, str] | None,
        body: dict[str, Any] | None,
    ) -> dict[str, Any]:
        limiter = self._limiter(f"{method} {endpoint}")
        if limiter is not None:
            await limiter.acquire()
        try:
            response = await self._http.request(method, endpoint, params=params, json=body)
        except httpx.TimeoutException as exc:
            raise errors.Unavailable(
                f"Rocket.Chat did not answer {endpoint} in time ({type(exc).__name__}); "
                "it may or may not have acted",
                status=504,
            ) from exc
        except httpx.TransportError as exc:
            raise errors.Unavailable(
                f"cannot reach Rocket.Chat at {self._settings.url}: {exc!r}", status=503
            ) from exc
        if response.is_success:
            try:
                data = response.json()
            except ValueError:
                data = None
            if not isinstance(data, dict) or data.get("success") is False:
                raise errors.Unavailable(
                    f"Rocket.Chat answered {endpoint} with an unexpected body",
                    status=502,
                    response=response.text,
                )
            return data
        raise to_platform_error(response, endpoint)

    def _retryable(self, method: str, exc: BaseException) -> bool:
        if isinstance(exc, errors.RateLimited):
            # The server refused before acting: always safe to repeat, if the wait is sane.
            wait = exc.retry_after if exc.retry_after is not None else 0.0
            return wait <= self._settings.max_wait_seconds
        # A failed GET changes nothing; a failed POST may have been applied, so never repeat it.
        return method == "GET" and isinstance(exc, errors.Unavailable)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        return float(wait_exponential(multiplier=0.2, max=5.0)(state))


def _log_retry(method: str, endpoint: str, state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else None
    log.warning(
        "rocketchat call retried",
        method=method,
        endpoint=endpoint,
        attempt=state.attempt_number,
        wait_s=wait,
        error=str(exc),
    )
