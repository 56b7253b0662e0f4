"""What the AWS doubles (Amazon Chime, Chime SDK messaging) share: one REST service on loopback
that records every request, checks its SigV4 signature against the double's own keys, and
answers errors as botocore parses them (``Code``/``Message`` and ``x-amzn-ErrorType``). Each
double routes and answers its own API in ``_handle``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.testing.aws import model
from bot.testing.aws.credentials import Keys
from bot.testing.aws.model import ERROR_CODES, Route, ServiceSpec
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


@dataclass(frozen=True)
class Failure:
    """What a planned failure answers: an error shape of the model, its message, a Retry-After."""

    shape: str
    message: str
    retry_after: float | None = None


class AwsDouble(NamedCalls[RecordedCall]):
    """Every API request goes the same way: routed by the models' ``http.method`` and
    ``requestUri`` (``_specs``), its SigV4 signature recomputed (a wrong one is a 403), its input
    rebuilt and checked against the operation's input shape (a wrong one is a 400), then a
    test's plans act (a hold, a failure) and the double answers (``_answer``), its output
    checked against the model too."""

    service = "AWS"
    """As a crash report names the double."""
    models = "the AWS models"
    """As a violation names the models the double follows."""

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

    def section(self, own: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
        """A kickbot section pointing at this (started) double: what every AWS platform's has
        (the endpoint, the region, retries quick enough for tests), the platform's ``own``
        fields, then the ``overrides`` a test gives."""
        return {
            "endpoint_url": self.url,
            "region": self.region,
            "retry_initial_seconds": 0.02,
            "retry_max_wait_seconds": 2.0,
            **own,
            **overrides,
        }

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

    def _specs(self) -> Sequence[ServiceSpec]:
        """The models the double follows (the first gives an error's HTTP status)."""
        raise NotImplementedError

    async def _handle(self, request: web.Request, body: bytes, call: RecordedCall) -> web.Response:
        """Answer the request (setting ``call.operation`` once it is routed)."""
        path = request.raw_path.split("?", 1)[0]
        found = next(
            (f for s in self._specs() if (f := s.match(request.method, path, request.query))), None
        )
        if found is None:
            self.violate("model", f"no operation of {self.models} has this route", request)
            return error_response("NotFoundException", "UnknownOperationException", 404)
        route, labels = found
        call.operation = route.operation
        problem = self.signature_problem(request, body)
        if problem is not None:
            self.violate("sigv4", problem, request)
            return error_response("ForbiddenException", problem, 403)
        params, problems = model.request_params(
            route, labels, request.query.items(), request.headers, body
        )
        if problems:
            self.violate("model", "; ".join(problems), request)
            return error_response("BadRequestException", "; ".join(problems), 400)
        if (refused := self._refuse(request, params)) is not None:
            return refused
        if (release := self.knobs.take_hold(route.operation)) is not None:
            await release.wait()
        if (failure := self.knobs.take(route.operation, request)) is not None:
            return self._failure(failure)
        return self._answer(request, route, params)

    def _refuse(self, request: web.Request, params: dict[str, Any]) -> web.Response | None:
        """An answer before any plan acts, for a request the service turns away; None: none."""
        return None

    def _answer(self, request: web.Request, route: Route, params: dict[str, Any]) -> web.Response:
        """The operation's answer (through :meth:`_answered`)."""
        raise NotImplementedError

    def _not_emulated(self, request: web.Request, route: Route) -> web.Response:
        """The answer to an operation of the models the double does not emulate: a violation,
        and a 501."""
        message = f"{route.operation} is not emulated"
        self.violate("unimplemented", message, request)
        return error_response("ServiceFailureException", message, 501)

    def _answered(
        self, request: web.Request, route: Route, status: int, data: dict[str, Any]
    ) -> web.Response:
        """``status`` and ``data`` as sent: checked against the operation's output shape, and
        replaced by a failure a test planned after the effect."""
        for problem in model.check_output(route, status, data):
            self.violate("response", f"the double's own answer: {problem}", request)
        if (failure := self.knobs.take(route.operation, request, after=True)) is not None:
            return self._failure(failure)
        if status == 204:
            return web.Response(status=204)
        return web.json_response(data, status=status)

    def _error(self, shape: str, message: str) -> web.Response:
        """An error of the models, with the status they give it."""
        return error_response(shape, message, self._specs()[0].error_status(shape))

    def _failure(self, failure: Failure) -> web.Response:
        response = self._error(failure.shape, failure.message)
        if failure.retry_after is not None:
            response.headers["Retry-After"] = f"{failure.retry_after:g}"
        return response


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
