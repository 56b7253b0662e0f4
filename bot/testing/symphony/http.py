"""The emulated pod's HTTP pipeline: record, route, authenticate, check the spec, inject failures.

Order per request: record it; an unserved route is a 501 and a violation; a missing or unknown
token is a 401 and a violation (an expired one is a plain 401); a request the spec refuses is a 400
and a violation; a request held by ``pod.hold_next`` waits for its release; a failure planned by
``pod.fail_next`` replaces the answer; a membership change refused by ``pod.knobs.limit`` (a
:class:`~bot.testing.symphony.ratelimit.JumboRoomLimit`, off unless set) is a 429; otherwise the
handler answers, and its response is checked against the spec too.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.testing import kit, spec_check
from bot.testing.spec_check import SpecRequest, SpecResponse
from bot.testing.symphony.ratelimit import JumboRoomLimit
from bot.testing.symphony.state import RecordedRequest

if TYPE_CHECKING:
    from bot.testing.symphony.pod import SymphonyPod

Auth = Literal["none", "session", "session+km"]
_AUTH_HEADERS: dict[Auth, tuple[str, ...]] = {
    "none": (),
    "session": ("sessionToken",),
    "session+km": ("sessionToken", "keyManagerToken"),
}


class ApiError(Exception):
    """An error answer ``{"code": status, "message": ...}``, the shape of the specs' errors."""

    def __init__(self, status: int, message: str, *, violation: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violation = violation  # kind of violation to record when the bot is at fault


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"code": status, "message": message}, status=status)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    auth: Auth


def form_fields(body: bytes, content_type: str) -> dict[str, str]:
    """The text fields of a multipart/form-data body (what the agent's message create gets)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    parsed = BytesParser(policy=HTTP).parsebytes(head + body)
    if not parsed.is_multipart():
        raise ValueError("not a multipart body")
    fields: dict[str, str] = {}
    for part in parsed.iter_parts():
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = payload.decode(part.get_content_charset() or "utf-8")
    return fields


def parse_body(body: bytes, content_type: str) -> Any:
    """A request body as recorded: JSON, multipart fields as a dict, else text (None if empty)."""
    if not body:
        return None
    try:
        if content_type.startswith("multipart/"):
            return form_fields(body, content_type)
        if "json" in content_type:
            return json.loads(body)
    except ValueError:
        pass
    return body.decode("utf-8", "replace")


@dataclass(frozen=True)
class PlannedError:
    """What a planned failure answers: an HTTP status, the specs' error body, a Retry-After."""

    status: int
    body: dict[str, Any]
    retry_after: float | None = None

    def response(self) -> web.Response:
        response = web.json_response(self.body, status=self.status or 500)  # 0: a reset
        if self.retry_after is not None:
            response.headers["Retry-After"] = f"{self.retry_after:g}"
        return response


PodCall = tuple[str, str]
"""``(METHOD, path)`` of one request to the pod."""


def matching(method: str, path_regex: str) -> Callable[[PodCall], bool]:
    """Calls with this method whose path matches ``path_regex`` (re.search)."""
    wanted, pattern = method.upper(), re.compile(path_regex)
    return lambda call: call[0] == wanted and pattern.search(call[1]) is not None


class Knobs(kit.Knobs[PodCall, PlannedError]):
    """Behaviour planned by a test (errors instead of answers, requests held until released)
    and the pod's room size limit."""

    def __init__(self) -> None:
        super().__init__()
        self.limit: JumboRoomLimit | None = None


class Gateway:
    """Builds the aiohttp application and runs every request through the checks."""

    def __init__(self, pod: SymphonyPod, routes: Iterable[Route]) -> None:
        self._pod = pod
        self._routes = list(routes)
        self._auth = {(r.method, r.path): r.auth for r in self._routes}

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes([web.route(r.method, r.path, r.handler) for r in self._routes])
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = await request.read()
        content_type = request.headers.get("Content-Type", "")
        recorded = RecordedRequest.arrived(request, parse_body(body, content_type))
        self._pod.record(recorded)
        try:
            response = await self._answer(request, handler, body, content_type)
        except ApiError as error:  # refused before any handler ran
            response = self._refuse(request, error)
        except Exception as exc:  # a bug in the double: loud, never a silent pass
            self._pod.violate("double", f"the emulated pod crashed: {exc!r}", request)
            response = error_response(500, f"The emulated pod crashed: {exc!r}")
        recorded.status = response.status
        recorded.answered_at = time.perf_counter()
        return response

    async def _answer(
        self, request: web.Request, handler: Handler, body: bytes, content_type: str
    ) -> web.StreamResponse:
        arrived = time.monotonic()  # before the spec check, whose duration varies
        if request.match_info.http_exception is not None:
            raise ApiError(
                501,
                f"Not implemented by the emulated pod: {request.method} {request.path}",
                violation="unimplemented",
            )
        canonical = request.match_info.route.resource.canonical  # type: ignore[union-attr]
        self._check_auth(request, self._auth.get((request.method, canonical), "session"))
        spec_request = SpecRequest.of(request, body)
        if (problem := spec_check.check_request(spec_request)) is not None:
            raise ApiError(400, f"Request does not match the API spec: {problem}", violation="spec")
        call = (request.method, request.path)
        knobs = self._pod.knobs
        if (release := knobs.take_hold(call)) is not None:
            await release.wait()
        if (failure := knobs.take(call, request)) is not None:
            return failure.response()  # deliberate, so not checked against the spec
        limit = self._pod.knobs.limit
        if (
            limit is not None
            and (limited := limit.check(request.method, request.path, arrived)) is not None
        ):
            return limited  # the spec has no 429: not checked either
        try:
            response = await handler(request)
        except ApiError as error:
            response = self._refuse(request, error)
        if (lost := knobs.take(call, request, after=True)) is not None:
            return lost.response()  # acted, and the answer is lost
        if isinstance(response, web.Response):
            data = response.body if isinstance(response.body, bytes) else None
            answer = SpecResponse(
                response.status, data, response.headers.get("Content-Type", ""), response.headers
            )
            if (problem := spec_check.check_response(spec_request, answer)) is not None:
                self._pod.violate("response", f"the double's own response: {problem}", request)
        return response

    def _refuse(self, request: web.Request, error: ApiError) -> web.Response:
        if error.violation is not None:
            self._pod.violate(error.violation, error.message, request)
        return error_response(error.status, error.message)

    def _check_auth(self, request: web.Request, auth: Auth) -> None:
        pod = self._pod
        for header in _AUTH_HEADERS[auth]:
            valid = pod.session_tokens if header == "sessionToken" else pod.km_tokens
            token = request.headers.get(header)
            if token in valid:
                continue
            # An expired token is normal life (the BDK re-authenticates); any other is a bug.
            bug = None if token in pod.expired_tokens else "auth"
            raise ApiError(401, f"Invalid or missing {header}", violation=bug)
