"""What the AWS doubles (Amazon Chime, Chime SDK messaging) share: one REST service on loopback
that records every request, checks its SigV4 signature against the double's own keys, and
answers errors as botocore parses them (``Code``/``Message`` and ``x-amzn-ErrorType``). Each
double routes and answers its own API in ``_handle``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from aiohttp import web

from bot.testing.aws.credentials import Keys
from bot.testing.aws.model import ERROR_CODES
from bot.testing.kit import Knobs, NamedCalls

BEARER = "x-amz-chime-bearer"
"""The header naming the AppInstanceUser a Chime SDK call is made as."""


@dataclass
class RecordedCall:
    operation: str | None
    """The model operation it was routed to (None: not an API call, or an unknown route)."""
    method: str
    path: str
    """Decoded (an ARN in it shows its ``/``)."""
    query: dict[str, str]
    body: Any
    bearer: str | None = None
    """The ``x-amz-chime-bearer`` header, if any."""
    status: int | None = None
    at: float = field(default_factory=time.monotonic)


Failure = TypeVar("Failure")
"""What a double's planned failure answers with."""


class AwsDouble(NamedCalls[RecordedCall], Generic[Failure]):
    service = "AWS"
    """As a crash report names the double."""

    def __init__(
        self, access_key: str, secret_key: str, region: str, plan: Callable[..., Failure]
    ) -> None:
        super().__init__()
        self._plan = plan
        """``plan(operation, error, *, message, retry_after, undeclared)``: ``error`` (a shape or
        its code) as ``operation`` answers it (ValueError: its model does not declare it)."""
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.knobs: Knobs[str, Failure] = Knobs()
        """Failures and holds planned by a test, by operation (``DeleteRoomMembership``)."""

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        await self._serve(app)

    def credentials_env(self) -> dict[str, str]:
        """Environment variables through which botocore finds the double's credentials."""
        return Keys(self.access_key, self.secret_key, self.region).env()

    def _calls_of(self, operation: str) -> Callable[[RecordedCall], bool]:
        return lambda c: c.operation == operation

    def fail_next(
        self,
        operation: str,
        error: str,
        *,
        times: int = 1,
        message: str | None = None,
        retry_after: float | None = None,
        after_effect: bool = False,
        reset: bool = False,
        undeclared: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``operation`` with ``error`` (an exception shape
        such as ``ThrottledClientException`` or its code such as ``Throttled``), which the
        operation must declare in its model unless ``undeclared``. ``after_effect``: carried
        out first, only the answer replaced (an answer lost after the change); ``reset``: no
        answer at all, the connection is reset."""
        failure = self._plan(
            operation, error, message=message, retry_after=retry_after, undeclared=undeclared
        )
        self.knobs.fail(
            lambda called: called == operation,
            failure,
            times=times,
            after_effect=after_effect,
            reset=reset,
        )

    def hold_next(self, operation: str) -> asyncio.Event:
        """Hold the next call of ``operation`` until the returned ``asyncio.Event`` is set."""
        return self.knobs.hold(lambda called: called == operation)

    def signature_problem(self, request: web.Request, body: bytes) -> str | None:
        """What is wrong with the request's SigV4 signature (None: nothing)."""
        return Keys(self.access_key, self.secret_key, self.region).problem(request, body)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        call = RecordedCall(
            None,
            request.method,
            request.path,
            dict(request.query),
            _parsed(body),
            request.headers.get(BEARER),
        )
        self.record(call)
        try:
            response = await self._handle(request, body, call)
        except Exception as exc:  # a bug in the double: loud, never a silent pass
            self.violate("double", f"the {self.service} double crashed: {exc!r}", request)
            response = error_response("ServiceFailureException", f"double crashed: {exc!r}", 500)
        call.status = response.status
        self.changed.notify()
        return response

    async def _handle(self, request: web.Request, body: bytes, call: RecordedCall) -> web.Response:
        """Answer the request (setting ``call.operation`` once it is routed)."""
        raise NotImplementedError


def error_response(shape: str, message: str, status: int) -> web.Response:
    """An AWS REST error as botocore reads it: the error's code and its shape's name."""
    body = {"Code": ERROR_CODES.get(shape, shape), "Message": message}
    response = web.json_response(body, status=status)
    response.headers["x-amzn-ErrorType"] = shape
    return response


def _parsed(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
