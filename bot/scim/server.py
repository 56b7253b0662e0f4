"""The SCIM endpoint: ``/scim/v2`` on its own port, served by aiohttp.

scim2-server brings the protocol (routing, validation, PATCH, filters, SCIM's error format) and
an ASGI application; kickbot runs aiohttp already and no ASGI server, so this module hands each
aiohttp request to that application's ``serve`` as a ``ScimRequest`` and writes its answer.
Before that, in this order and before any look-up: the bearer token (compared in constant time
with every configured one, ``hmac.compare_digest``; a missing, unknown or revoked token is a 401
and nothing else happens), repeated query parameters (400), the body's size (413, also when
announced by ``Content-Length``). Every answer, errors included, is SCIM's JSON: a path outside
``/scim/v2`` is a SCIM 404, and an unexpected failure a SCIM 500 without a traceback.
"""

from __future__ import annotations

import hmac
import json
from http import HTTPStatus
from typing import Any

import structlog
from aiohttp import web
from scim2_models import (
    InvalidValueException,
    NotFoundException,
    PayloadTooLargeException,
    SCIMException,
    UnauthorizedException,
)
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse

from bot.listening import Listening
from bot.scim.offboarder import Offboarder
from bot.scim.offboarding import Offboarding
from bot.scim.service import USER, KickbotScimService, provider
from bot.scim.settings import ScimSettings
from bot.scim.storage import CLIENT, UserStorage
from bot.store.scim_users import ScimUsers

log = structlog.get_logger(__name__)

PREFIX = "/scim/v2"
MEDIA_TYPE = "application/scim+json"


class Tokens:
    """The configured clients' bearer tokens; ``client(header)`` names the client or None."""

    def __init__(self, tokens: dict[str, str]):
        self._tokens = [(name, token.encode()) for name, token in tokens.items()]

    def client(self, authorization: str | None) -> str | None:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return None
        presented = given.strip().encode("utf-8", "surrogateescape")
        found = None
        for name, token in self._tokens:  # every token compared: the time says nothing
            if hmac.compare_digest(presented, token):
                found = name
        return found


class _Application(ASGIApplication):
    """scim2-server's application with kickbot's authentication: every endpoint needs a
    token (also ServiceProviderConfig: nothing is served to strangers)."""

    def __init__(self, tokens: Tokens, storage: UserStorage):
        scim = provider()
        super().__init__(storage, scim, KickbotScimService(scim))
        self.tokens = tokens

    def needs_auth(self, request: ScimRequest) -> bool:
        return True

    def check_auth(self, request: ScimRequest) -> None:
        client = self.tokens.client(request.header("Authorization"))
        if client is None:
            raise UnauthorizedException(detail="a valid bearer token is required")
        CLIENT.set(client)

    def get_subject(self, request: ScimRequest) -> Any:
        return CLIENT.get()


class ScimServer:
    def __init__(self, settings: ScimSettings, users: ScimUsers, offboarder: Offboarder):
        self.settings = settings
        self.offboarding = Offboarding(users, offboarder)
        self.application = _Application(
            Tokens(settings.tokens), UserStorage(users, USER, self.offboarding)
        )
        self._max_body = settings.max_body_kib * 1024
        self._listening: Listening | None = None
        self.port: int | None = None
        """The port listened on (known once started; ``listen_port: 0`` picks a free one)."""

    async def start(self) -> None:
        app = web.Application(client_max_size=self._max_body)
        app.router.add_route("*", PREFIX + "{tail:(/.*)?}", self._serve)
        app.router.add_route("*", "/{tail:.*}", self._elsewhere)
        self._listening = await Listening.start(
            app,
            self.settings.listen_host,
            self.settings.listen_port,
            self.offboarding.keep_resuming,
            "scim",
        )
        self.port = self._listening.port
        log.info("scim listening", host=self.settings.listen_host, port=self.port,
                 clients=sorted(self.settings.tokens))  # fmt: skip

    async def stop(self) -> None:
        if self._listening is not None:
            await self._listening.stop()
            self._listening = None

    def _base_url(self, request: web.Request) -> str:
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        return f"{request.scheme}://{request.host}{PREFIX}"

    async def _serve(self, request: web.Request) -> web.Response:
        scim = ScimRequest(
            method=request.method,
            base_url=self._base_url(request),
            path=request.match_info["tail"],
            headers=list(request.headers.items()),
        )
        try:
            self.application.check_auth(scim)
            scim.query = _query(request)
            scim.body = await self._body(request)
        except SCIMException as exc:
            if exc.status == HTTPStatus.UNAUTHORIZED:
                log.warning("scim request refused: no valid token", path=request.path,
                            peer=request.remote)  # fmt: skip
            return self._answer(scim, self.application.service.error_response(exc))
        return self._answer(scim, await self.application.serve(scim))

    async def _body(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > self._max_body:
            raise self._too_large()
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise self._too_large() from None

    def _too_large(self) -> PayloadTooLargeException:
        return PayloadTooLargeException(detail=f"the body is over {self.settings.max_body_kib} KiB")

    async def _elsewhere(self, request: web.Request) -> web.Response:
        error = NotFoundException(detail=f"kickbot serves SCIM at {PREFIX} only")
        return _response(self.application.service.error_response(error))

    def _answer(self, scim: ScimRequest, response: ScimResponse) -> web.Response:
        return _response(self.application.finalize_response(scim, response))


def _query(request: web.Request) -> dict[str, str]:
    query: dict[str, str] = {}
    for key, value in request.query.items():
        if key in query:
            raise InvalidValueException(detail=f"the query parameter {key!r} is given twice")
        query[key] = value
    return query


def _response(response: ScimResponse) -> web.Response:
    body = None if response.body is None else json.dumps(response.body).encode()
    headers = dict(response.headers)
    if body is not None:
        headers["Content-Type"] = MEDIA_TYPE
    return web.Response(status=int(response.status), body=body, headers=headers)
