"""Calling the pod: stream ids as its URLs want them, an API error as a ``PlatformError``, and
the BDK extension that reaches the generated APIs the BDK does not wrap."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable
from typing import TypeVar

from aiohttp import ClientError
from symphony.bdk.core.auth.auth_session import AuthSession
from symphony.bdk.core.client.api_client_factory import ApiClientFactory
from symphony.bdk.core.extension import BdkApiClientFactoryAware, BdkAuthenticationAware
from symphony.bdk.gen import ApiException

from bot import errors, telemetry

T = TypeVar("T")


def url_safe_id(stream_id: str) -> str:
    """Symphony wants URL-safe base64 ids in URLs; the client shows standard base64."""
    return stream_id.replace("+", "-").replace("/", "_").rstrip("=")


def to_platform_error(exc: Exception) -> errors.PlatformError:
    if isinstance(exc, ApiException):
        detail = str(exc.reason or "")
        body = exc.body if isinstance(exc.body, str) else None
        if body:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                detail = str(json.loads(body).get("message") or detail)
        return errors.from_status(int(exc.status or 500), detail, body)
    if isinstance(exc, ClientError | asyncio.TimeoutError):
        return errors.Unavailable(f"cannot reach the pod: {exc!r}", status=503)
    raise exc


class PodClients(BdkApiClientFactoryAware, BdkAuthenticationAware):  # type: ignore[misc]
    """A BDK extension: the supported way to reach generated APIs the BDK does not wrap."""

    def set_api_client_factory(self, api_client_factory: ApiClientFactory) -> None:
        self.factory = api_client_factory

    def set_bot_session(self, auth_session: AuthSession) -> None:
        self.session = auth_session


async def pod_call(operation: str, call: Awaitable[T]) -> T:
    """The pod's answer to ``call``; its failure as a ``PlatformError``. ``operation``: the pod
    API's name for the call (``removeMember``), for the metrics."""
    with telemetry.api_call("symphony", operation):
        try:
            return await call
        except Exception as exc:
            raise to_platform_error(exc) from exc
