"""The Slack double's Web API pipeline: record, route, authenticate, check, inject, answer.

Order per call to ``/api/<method>``: record it; an unserved method is ``unknown_method`` and a
violation; the token must come as ``Authorization: Bearer`` (a missing or unknown token is a
violation, a revoked one is plain ``invalid_auth``); the request must match the official spec
(the patched OpenAPI 3 copy) and the rules that spec misses (required ``channel``/``user``…);
a failure planned by ``fail_next``/``rate_limit_next`` replaces the answer; a missing scope is
``missing_scope`` with ``needed``; otherwise the method answers, and its answer is checked
against the spec too. Slack answers errors with HTTP 200 and ``{"ok": false, "error": …}``.
"""

from __future__ import annotations

import functools
import json
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl

from aiohttp import web

from bot.testing import kit, spec_check
from bot.testing.spec_check import SpecRequest, SpecResponse, SpecSource, SpecViolation
from bot.testing.symphony.state import RecordedRequest

if TYPE_CHECKING:
    from openapi_core import OpenAPI

    from bot.testing.slack.workspace import SlackWorkspace

SPEC_FILE = "slack_web_openapi_v2.patched.oas3.json"
SPEC = SpecSource(spec_check.SPEC_DIR / SPEC_FILE, ("/api",))

# Errors Slack documents for every method; the 2020 spec's per-method enums omit most of them,
# so answers carrying one are checked for shape, not against the method's enum.
COMMON_ERRORS = frozenset(
    {
        "missing_scope", "not_authed", "invalid_auth", "token_revoked", "account_inactive",
        "not_allowed_token_type", "invalid_arguments", "ratelimited", "unknown_method",
        "fatal_error", "internal_error", "service_unavailable", "request_timeout",
    }
)  # fmt: skip


@dataclass
class RecordedCall(RecordedRequest):
    at: float = field(default_factory=time.monotonic)
    """When the double received it (``time.monotonic``)."""


class MethodError(Exception):
    """A Slack error answer. ``violation`` is set when the bot is at fault (a bug, not life)."""

    def __init__(
        self, error: str, *, violation: str | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.violation = violation
        self.extra = dict(extra or {})


@dataclass(frozen=True)
class Call:
    """One Web API call as a method handler sees it: query, form and JSON fields merged."""

    method: str
    params: dict[str, Any]
    token: str


Handler = Callable[[Call], dict[str, Any]]
Scopes = Callable[[Call], tuple[str, ...]]
TokenKind = Literal["bot", "app"]


@dataclass(frozen=True)
class Method:
    name: str
    handler: Handler
    required: tuple[str, ...] = ()
    scopes: Scopes = lambda call: ()
    token: TokenKind = "bot"
    in_spec: bool = True


@dataclass(frozen=True)
class PlannedError:
    """What a planned failure answers: ``{"ok": false, "error": ...}`` with a status."""

    error: str
    status: int
    retry_after: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def response(self) -> web.Response:
        body = {"ok": False, "error": self.error, **self.extra}
        response = web.json_response(body, status=self.status)
        if self.retry_after is not None:
            response.headers["Retry-After"] = f"{self.retry_after:g}"
        return response


SlackCall = tuple[str, Mapping[str, Any]]
"""A Web API method's name and the arguments it was called with."""


def calls_of(
    method: str, arguments: Mapping[str, str] | None = None
) -> Callable[[SlackCall], bool]:
    """Calls of ``method`` with these arguments (all of them, if none are given)."""
    wanted = dict(arguments or {})
    return lambda call: (
        call[0] == method and all(str(call[1].get(k)) == v for k, v in wanted.items())
    )


Knobs = kit.Knobs[SlackCall, PlannedError]
"""Behaviour planned by a test: the next calls of a method answer an error, or wait."""


def request_params(
    query: Iterable[tuple[str, str]], body: bytes, content_type: str
) -> dict[str, Any]:
    """Every argument of a call, wherever slack_sdk put it (query string, form or JSON body)."""
    params: dict[str, Any] = dict(query)
    if body:
        if content_type.startswith("application/json"):
            loaded = json.loads(body)
            if not isinstance(loaded, dict):
                raise MethodError("json_not_object", violation="spec")
            params.update(loaded)
        else:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def _validate_request(spec: OpenAPI, request: SpecRequest) -> str | None:
    with warnings.catch_warnings():
        # openapi-core cannot check the spec's oauth2 scheme and says so; the gateway checks
        # the bearer token itself.
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        return spec_check.validate_request(spec, request)


def check_answer(spec: OpenAPI, request: SpecRequest, body: dict[str, Any]) -> str | None:
    """What is wrong with the double's own answer, or None.

    Errors come with HTTP 200 but the spec describes them under ``default``: an error body is
    validated as a non-200 answer so that ``default`` applies.
    """
    data = json.dumps(body).encode()
    if body.get("ok") is True:
        return spec_check.validate_response(
            spec, request, SpecResponse(200, data, "application/json")
        )
    if not isinstance(body.get("error"), str):
        return "an error answer without an error code"
    if body["error"] in COMMON_ERRORS:
        return None
    return spec_check.validate_response(spec, request, SpecResponse(400, data, "application/json"))


@functools.cache
def self_test() -> None:
    """Prove, once per process, that the Slack spec rejects bad calls and accepts good ones."""
    spec = spec_check.load_openapi(SPEC)
    auth = [("Authorization", "Bearer xoxb-1")]
    form = "application/x-www-form-urlencoded"
    good = SpecRequest("POST", "/api/conversations.kick", b"channel=C1&user=U1", form, headers=auth)
    misspelt = SpecRequest("POST", "/api/conversations.kik", b"channel=C1", form, headers=auth)
    bad_type = SpecRequest(
        "POST", "/api/chat.postMessage", b'{"channel": "C1", "text": 5}', "application/json"
    )
    problems = []
    if (error := _validate_request(spec, good)) is not None:
        problems.append(f"self-test: a valid Slack call was rejected: {error}")
    for request in (misspelt, bad_type):
        if _validate_request(spec, request) is None:
            problems.append(f"self-test: an invalid Slack call passed: {request}")
    if check_answer(spec, good, {"ok": True, "extra": 1}) is None:
        problems.append("self-test: an invalid Slack answer passed")
    if check_answer(spec, good, {"ok": False, "error": "no_such_error_code"}) is None:
        problems.append("self-test: an unknown error code passed")
    if problems:
        raise SpecViolation(problems)


_BEARER = re.compile(r"^Bearer (\S+)$")


class WebGateway:
    """The aiohttp application of the double: Web API, response URLs, the Socket Mode socket."""

    def __init__(self, workspace: SlackWorkspace, methods: Iterable[Method]) -> None:
        self._ws = workspace
        self._methods = {m.name: m for m in methods}
        self._spec = spec_check.load_openapi(SPEC)

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/commands/{hook}", self._response_url)
        app.router.add_get("/socket-mode/{ticket}", self._ws.socket.handle)
        return app

    async def _api(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        content_type = request.headers.get("Content-Type", "")
        recorded = RecordedCall.arrived(request, _parsed(body, content_type))
        self._ws.record(recorded)
        name = request.match_info["method"]
        try:
            response = await self._answer(request, name, body, content_type)
        except MethodError as err:
            if err.violation is not None:
                self._ws.violate(err.violation, err.error, request)
            response = web.json_response({"ok": False, "error": err.error, **err.extra})
        except Exception as exc:  # a bug in the double: loud, never a silent pass
            self._ws.violate("double", f"crashed: {exc!r}", request)
            response = web.json_response({"ok": False, "error": "fatal_error"}, status=500)
        recorded.status = response.status
        return response

    async def _answer(
        self, request: web.Request, name: str, body: bytes, content_type: str
    ) -> web.Response:
        method = self._methods.get(name)
        if method is None:
            raise MethodError("unknown_method", violation="unimplemented")
        params = request_params(request.query.items(), body, content_type)
        token = self._token(request, params, method.token)
        spec_request = SpecRequest.of(request, body)
        if method.in_spec and (problem := _validate_request(self._spec, spec_request)):
            raise MethodError("invalid_arguments", violation=f"spec: {problem}")
        missing = [p for p in method.required if params.get(p) in (None, "")]
        if missing:
            # The 2020 spec marks these optional; Slack requires them.
            raise MethodError("invalid_arguments", violation=f"spec-gap: {missing} missing")
        if (release := self._ws.knobs.take_hold((name, params))) is not None:
            await release.wait()
        if (planned := self._ws.knobs.take((name, params), request)) is not None:
            return planned.response()  # deliberate, so not checked against the spec
        call = Call(name, params, token)
        needed = method.scopes(call)
        if needed and not set(needed) & self._ws.scopes:
            raise MethodError(
                "missing_scope",
                extra={"needed": ",".join(needed), "provided": ",".join(sorted(self._ws.scopes))},
            )
        try:
            answer = {"ok": True, **method.handler(call)}
        except MethodError as err:
            if err.violation is not None:
                self._ws.violate(err.violation, err.error, request)
            answer = {"ok": False, "error": err.error, **err.extra}
        if (lost := self._ws.knobs.take((name, params), request, after=True)) is not None:
            return lost.response()  # acted, and the answer is lost
        if method.in_spec and (problem := check_answer(self._spec, spec_request, answer)):
            self._ws.violate("response", f"{request.path}: the double's own answer: {problem}")
        return web.json_response(answer)

    def _token(self, request: web.Request, params: dict[str, Any], kind: TokenKind) -> str:
        ws = self._ws
        if "token" in params:
            # Slack refuses tokens in query strings for new apps; slack_sdk uses the header.
            raise MethodError("invalid_auth", violation="auth: token sent as a parameter")
        match = _BEARER.match(request.headers.get("Authorization", ""))
        if match is None:
            raise MethodError("not_authed", violation="auth: no Authorization: Bearer header")
        token = match.group(1)
        if token in ws.revoked_tokens:
            raise MethodError("invalid_auth")
        known = {"bot": ws.bot_token, "app": ws.app_token}
        if token not in known.values():
            raise MethodError("invalid_auth", violation="auth: unknown token")
        if token != known[kind]:
            raise MethodError("not_allowed_token_type", violation=f"auth: needs the {kind} token")
        return token

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.read()
        self._ws.record(
            RecordedCall(
                "POST", request.path, {}, dict(request.headers), _parsed(body, "application/json")
            )
        )
        try:
            payload = json.loads(body)
        except ValueError:
            self._ws.violate("response_url", f"{request.path}: body is not JSON")
            return web.Response(status=400, text="invalid_payload")
        if not self._ws.response_url_post(request.match_info["hook"], payload):
            return web.Response(status=404, text="expired_url")
        return web.json_response({"ok": True})


def _parsed(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    try:
        if "json" in content_type:
            return json.loads(body)
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except ValueError:
        return body.decode("utf-8", "replace")
