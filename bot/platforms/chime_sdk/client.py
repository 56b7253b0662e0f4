"""Calls to Amazon Chime SDK messaging and identity through botocore's own clients
(``chime-sdk-messaging``, ``chime-sdk-identity``): botocore serialises each operation as its
model says, signs it with SigV4 (service ``chime``), fills ``ClientRequestToken`` and parses the
answer. Every messaging call carries the bot's ARN as ``ChimeBearer`` (``x-amz-chime-bearer``).

botocore is synchronous: calls run on a small thread pool of their own, so the event loop never
waits on the network. botocore's own retries are off; 429 ``ThrottledClientException`` and 503
are retried here with tenacity (``bot.platforms.aws``), counted in ``Attempts`` so that a change
tried twice is known to be (``PlatformError.resent``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bot import errors, telemetry
from bot.platforms import aws
from bot.platforms.chime_sdk.config import SECTION, ChimeSdkSettings
from bot.platforms.chime_sdk.errors import from_botocore, from_client_error

Json = dict[str, Any]
MESSAGING, IDENTITY = "chime-sdk-messaging", "chime-sdk-identity"


def session_for(settings: ChimeSdkSettings) -> botocore.session.Session:
    """botocore's session on the usual credential chain (a ConfigError if it finds none)."""
    return aws.botocore_session(SECTION, settings.profile)


class ChimeSdkClient:
    def __init__(self, settings: ChimeSdkSettings, session: botocore.session.Session) -> None:
        self.settings = settings
        config = Config(
            retries={"total_max_attempts": 1},  # tenacity retries, see the module's doc
            connect_timeout=settings.timeout_seconds,
            read_timeout=settings.timeout_seconds,
            max_pool_connections=settings.max_concurrent_calls,
            user_agent_extra="kickbot",
        )
        self._clients = {
            service: session.create_client(
                service,
                region_name=settings.signing_region,
                endpoint_url=settings.endpoint_url,
                config=config,
            )
            for service in (MESSAGING, IDENTITY)
        }
        self._pool = ThreadPoolExecutor(settings.max_concurrent_calls, "chime-sdk")
        self._routes: dict[str, tuple[Any, bool]] = {}
        for client in self._clients.values():
            model = client.meta.service_model
            for operation in model.operation_names:
                shape = model.operation_model(operation).input_shape
                bearer = shape is not None and "ChimeBearer" in shape.members
                self._routes[operation] = (getattr(client, xform_name(operation)), bearer)

    @property
    def messaging(self) -> Any:
        """botocore's messaging client (GetMessagingSessionEndpoint, ListChannelMessages…)."""
        return self._clients[MESSAGING]

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        for client in self._clients.values():
            client.close()

    async def call(
        self, operation: str, attempts: aws.Attempts | None = None, **params: Any
    ) -> Json:
        """One operation by its model name, as the bot (its ARN the bearer where the model has
        one), retried on 429 and 503; a ``PlatformError`` when it fails."""
        method, bearer = self._routes[operation]
        if bearer:
            params.setdefault("ChimeBearer", self.settings.bot_arn)
        send = functools.partial(method, **params)
        tries = attempts if attempts is not None else aws.Attempts()
        s = self.settings
        loop = asyncio.get_running_loop()
        try:
            with telemetry.api_call(SECTION, operation):  # the model's name: a fixed set
                async for attempt in aws.retrying(
                    s.retry_attempts, s.retry_initial_seconds, s.retry_max_wait_seconds
                ):
                    with attempt:
                        tries.count += 1
                        try:
                            answer: Json = await loop.run_in_executor(self._pool, send)
                        except ClientError as exc:
                            raise from_client_error(operation, exc) from None
                        except BotoCoreError as exc:
                            raise from_botocore(operation, exc) from None
                        answer.pop("ResponseMetadata", None)
                        return answer
        except errors.PlatformError as err:
            err.resent = tries.count > 1  # an earlier attempt may have acted
            raise
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    async def pages(self, operation: str, key: str, **params: Any) -> AsyncIterator[Json]:
        """Every item under ``key`` of a list operation, following ``NextToken``."""
        token: str | None = None
        while True:
            page = dict(params, MaxResults=self.settings.page_size)
            if token:
                page["NextToken"] = token
            answer = await self.call(operation, **page)
            for item in answer.get(key) or []:
                if isinstance(item, dict):
                    yield item
            token = answer.get("NextToken") or None
            if not token:
                return
