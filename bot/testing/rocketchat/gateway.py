"""The emulated Rocket.Chat server's HTTP pipeline: record, authenticate, check the spec,
rate-limit, hold or fail on request, route, and check the double's own answer against the spec.

Order per request: record it (on arrival, so a test sees a held request); an unserved endpoint is
a 404 and a violation; missing ``X-User-Id``/``X-Auth-Token`` is a 401 and a violation (a revoked
token is a plain 401); a request the spec refuses is a 400 and a violation; the limiter (when on)
may answer 429; a held request waits for its release; a planned failure replaces the answer;
otherwise the endpoint answers by the server's rules.
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.testing import kit, spec_check
from bot.testing.rocketchat.routes import GETS, SPEC_OF, Call, Endpoint
from bot.testing.rocketchat.state import RcError, RcRequest, World
from bot.testing.spec_check import SPEC_DIR, SpecRequest, SpecResponse, SpecSource, SpecViolation

SPEC_FILES = {
    "rooms": "rocketchat-rooms.yaml",
    "user-management": "rocketchat-user-management.yaml",
    "messaging": "rocketchat-messaging.yaml",
    "authentication": "rocketchat-authentication.yaml",
}
PREFIX = "/api/v1/"
NOT_LOGGED_IN = {"status": "error", "message": "You must be logged in to do this."}


def spec_source(name: str) -> SpecSource:
    return SpecSource(SPEC_DIR / SPEC_FILES[name], ("/",), True)


def spec_for(endpoint: str) -> SpecSource:
    return spec_source(SPEC_OF.get(endpoint, "rooms"))


def _dm_create_body(body: Any) -> str | None:
    """``dm.create``'s body as the server's own schema has it: exactly one of ``username`` and
    ``usernames`` (a string), and an optional boolean ``excludeSelf``."""
    if not isinstance(body, dict):
        return "dm.create: the body must be a JSON object"
    given = [k for k in ("username", "usernames") if k in body]
    if len(given) != 1 or not isinstance(body[given[0]], str):
        return "dm.create: exactly one of username and usernames (a string) is required"
    if "excludeSelf" in body and not isinstance(body["excludeSelf"], bool):
        return "dm.create: excludeSelf must be a boolean"
    return None


ONE_OF_GAPS: dict[str, Callable[[Any], str | None]] = {"dm.create": _dm_create_body}
"""Spec gap: the published schema of these bodies is a ``oneOf`` whose alternatives require
nothing, so every object matches all of them and the validator refuses any body. For these
endpoints an ambiguous-``oneOf`` refusal is replaced by the server's own rule."""


@dataclass
class _Window:
    start: float
    count: int = 0


class RateLimiter:
    """The server's default limiter: a fixed window of ``calls`` per ``seconds`` per route."""

    def __init__(self, calls: int, seconds: float) -> None:
        self.calls = calls
        self.seconds = seconds
        self._windows: dict[str, _Window] = {}

    def take(self, route: str) -> tuple[bool, dict[str, str]]:
        now = time.time()
        window = self._windows.get(route)
        if window is None or now >= window.start + self.seconds:
            window = self._windows[route] = _Window(now)
        reset_ms = math.ceil((window.start + self.seconds) * 1000)
        allowed = window.count < self.calls
        if allowed:
            window.count += 1
        headers = {
            "X-RateLimit-Limit": str(self.calls),
            "X-RateLimit-Remaining": str(max(0, self.calls - window.count)),
            "X-RateLimit-Reset": str(reset_ms),
        }
        return allowed, headers


@dataclass(frozen=True)
class PlannedError:
    """What a planned failure answers: a status and body, or a 429 whose window resets in
    ``reset_in`` seconds."""

    status: int
    body: dict[str, Any]
    reset_in: float | None = None


def calls_of(endpoint: str) -> Callable[[str], bool]:
    return lambda called: called == endpoint


Knobs = kit.Knobs[str, PlannedError]
"""Failures and holds planned by a test, by endpoint (``groups.kick``)."""


class Gateway:
    """Builds the aiohttp application and runs every request through the checks."""

    def __init__(
        self,
        world: World,
        endpoints: dict[str, Endpoint],
        *,
        record: Callable[[RcRequest], None],
        violate: Callable[[str, str, web.Request | None], None],
        notify: Callable[[], None],
    ) -> None:
        self._world = world
        self.endpoints = endpoints
        self._record = record
        self._violate = violate
        self._notify = notify
        self.tokens: dict[str, str] = {}
        """Valid personal access tokens by user id."""
        self.revoked: set[str] = set()
        self.knobs = Knobs()
        self.limiter: RateLimiter | None = None

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        app.router.add_route("*", PREFIX + "{endpoint}", _not_reached)
        return app

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        content_type = request.headers.get("Content-Type", "")
        try:
            parsed: Any = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        recorded = RcRequest.arrived(request, parsed)
        self._record(recorded)  # on arrival: a test can see a held request
        try:
            response = await self._answer(request, raw, content_type, parsed)
        except Exception as exc:  # a bug in the double: loud, never a silent pass
            self._violate("double", f"the emulated server crashed: {exc!r}", request)
            response = web.json_response({"success": False, "error": repr(exc)}, status=500)
        recorded.status = response.status
        recorded.answer_headers = dict(response.headers)
        self._notify()
        return response

    async def _answer(
        self, request: web.Request, raw: bytes, content_type: str, parsed: Any
    ) -> web.Response:
        endpoint = request.path.removeprefix(PREFIX)
        route = self.endpoints.get(endpoint) if request.path.startswith(PREFIX) else None
        expected_method = "GET" if endpoint in GETS else "POST"
        if route is None or request.method != expected_method:
            self._violate("unimplemented", "not served by the emulated server", request)
            return web.json_response(
                {"success": False, "error": f"Method not found: {request.method} {endpoint}"},
                status=404,
            )
        # Authentication first, as the server does (some spec operations omit the headers).
        user_id = request.headers.get("X-User-Id")
        token = request.headers.get("X-Auth-Token")
        if not user_id or not token:
            self._violate("auth", "X-User-Id and X-Auth-Token are required", request)
            return web.json_response(NOT_LOGGED_IN, status=401)
        if self.tokens.get(user_id) != token:
            if token not in self.revoked:
                self._violate("auth", "unknown X-User-Id/X-Auth-Token pair", request)
            return web.json_response(NOT_LOGGED_IN, status=401)
        spec_request = SpecRequest.of(request, raw)
        source = spec_for(endpoint)
        problem = spec_check.validate_request(spec_check.load_openapi(source), spec_request)
        if problem is not None and endpoint in ONE_OF_GAPS and "is valid under each of" in problem:
            problem = ONE_OF_GAPS[endpoint](parsed)
        if problem is not None:
            self._violate("spec", problem, request)
            return web.json_response(
                RcError(
                    "error-invalid-params", f"Request does not match the API spec: {problem}"
                ).body(),
                status=400,
            )
        limit_headers: dict[str, str] = {}
        if self.limiter is not None:
            allowed, limit_headers = self.limiter.take(f"{request.method} {endpoint}")
            if not allowed:
                reset = int(limit_headers["X-RateLimit-Reset"]) / 1000
                return too_many_requests(reset, limit=self.limiter.calls)
        if (release := self.knobs.take_hold(endpoint)) is not None:
            await release.wait()
        failure = self.knobs.take(endpoint, request)
        if failure is not None:
            if failure.reset_in is not None:
                return too_many_requests(time.time() + failure.reset_in, limit=1)
            return web.json_response(failure.body, status=failure.status, headers=limit_headers)
        call = Call(user_id, dict(request.query), parsed if isinstance(parsed, dict) else {})
        try:
            body = {**await route(self._world, call), "success": True}
            status = 200
        except RcError as error:
            body, status = error.body(), error.status
        self._notify()
        if (lost := self.knobs.take(endpoint, request, after=True)) is not None:
            return web.json_response(lost.body, status=lost.status)  # acted, answer lost
        response = web.json_response(body, status=status, headers=limit_headers)
        self._check_response(request, spec_request, source, response)
        return response

    def _check_response(
        self,
        request: web.Request,
        spec_request: SpecRequest,
        source: SpecSource,
        response: web.Response,
    ) -> None:
        data = response.body if isinstance(response.body, bytes) else b""
        answer = SpecResponse(response.status, data, "application/json", response.headers)
        spec = spec_check.load_openapi(source)
        problem = spec_check.validate_response(spec, spec_request, answer)
        if problem is None:
            return
        if problem.startswith("ResponseNotFound") and response.status >= 400:
            # Spec gap: e.g. channels.kick declares no 400, yet the server answers errors with
            # 400. Hold such answers to the server's error shape instead.
            body = json.loads(data)
            if isinstance(body.get("error"), str) and body.get("success") is False:
                return
        self._violate("response", f"the double's own response: {problem}", request)


async def _not_reached(request: web.Request) -> web.Response:
    raise AssertionError("the gateway answers every request")  # pragma: no cover


def too_many_requests(reset: float, *, limit: int) -> web.Response:
    """The server's 429: ``X-RateLimit-*`` headers, the reset in epoch milliseconds."""
    wait = max(0, math.ceil(reset - time.time()))
    body = {
        "success": False,
        "error": f"Error, too many requests. Please slow down. You must wait {wait} seconds "
        "before trying this endpoint again. [error-too-many-requests]",
    }
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(math.ceil(reset * 1000)),
    }
    return web.json_response(body, status=429, headers=headers)


@functools.cache
def self_test() -> None:
    """Prove, once per process, that the validators reject bad traffic and accept good traffic."""
    headers = [("X-User-Id", "u"), ("X-Auth-Token", "t"), ("Content-Type", "application/json")]
    kick = "/api/v1/groups.kick"
    cases = [
        (
            "rooms",
            SpecRequest(
                "POST", kick, b'{"roomId":"r","userId":"u"}', "application/json", headers=headers
            ),
            True,
        ),
        (
            "rooms",
            SpecRequest("POST", kick, b'{"roomId":"r"}', "application/json", headers=headers),
            False,
        ),
        (
            "rooms",
            SpecRequest("POST", kick, b'{"roomId":"r","userId":"u"}', "application/json"),
            False,
        ),
        (
            "messaging",
            SpecRequest(
                "POST",
                "/api/v1/chat.postMessage",
                b'{"text":"x"}',
                "application/json",
                headers=headers,
            ),
            False,
        ),
        (
            "user-management",
            SpecRequest(
                "GET", "/api/v1/users.info", None, "", query=[("username", "b")], headers=headers
            ),
            True,
        ),
    ]
    problems = []
    for name, request, valid in cases:
        error = spec_check.validate_request(spec_check.load_openapi(spec_source(name)), request)
        if valid and error is not None:
            problems.append(f"self-test: a valid request was rejected: {error}")
        if not valid and error is None:
            problems.append(f"self-test: an invalid request passed: {request}")
    if problems:
        raise SpecViolation(problems)
