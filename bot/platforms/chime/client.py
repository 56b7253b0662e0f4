"""Outbound HTTP for Chime over one ``httpx.AsyncClient``: the API (SigV4-signed by botocore,
paths and methods as in the botocore model ``chime`` 2018-05-01) and replies to event webhooks.

botocore's default "standard" retry mode does not retry Chime's 429 ThrottledClientException,
so retries live here (tenacity): 429 and 503 (and connection failures), bounded, honouring a
``Retry-After`` hint. Every failure becomes a ``bot.errors.PlatformError`` with Chime's
``Code``/``Message`` as its detail.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Generator, Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from tenacity import AsyncRetrying

from bot import errors, telemetry
from bot.platforms import aws
from bot.platforms.chime.config import ChimeSettings

log = structlog.get_logger(__name__)

SERVICE = "chime"
Json = dict[str, Any]


def resolve_credentials(settings: ChimeSettings) -> Any:
    """AWS credentials the usual botocore way (environment, shared files/profile, roles)."""
    return aws.botocore_session("chime", settings.profile).get_credentials()


class SigV4(httpx.Auth):
    """Sign each request with botocore's SigV4 signer (host, content type, date, body hash)."""

    requires_request_body = True

    def __init__(self, credentials: Any, region: str) -> None:
        self._credentials = credentials
        self._region = region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = {"host": request.headers["host"]}
        if "content-type" in request.headers:
            headers["content-type"] = request.headers["content-type"]
        path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        signed = AWSRequest(
            method=request.method,
            url=f"{request.url.scheme}://{request.url.netloc.decode('ascii')}{path}",
            data=request.content or None,
            headers=headers,
            params=list(request.url.params.multi_items()),
        )
        frozen = self._credentials.get_frozen_credentials()  # refreshes if it must
        SigV4Auth(frozen, SERVICE, self._region).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        yield request


# --- errors -----------------------------------------------------------------------------------


def to_platform_error(what: str, response: httpx.Response) -> errors.PlatformError:
    """Chime's ``{"Code", "Message"}`` (or the ``x-amzn-ErrorType`` header) as a PlatformError."""
    text = response.text
    code, message = "", ""
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        body = {}
    if isinstance(body, dict):
        code = str(body.get("Code") or body.get("code") or body.get("__type") or "")
        message = str(body.get("Message") or body.get("message") or "")
    if not code:
        code = response.headers.get("x-amzn-ErrorType", "").split(":", 1)[0]
    code = code or response.reason_phrase or f"HTTP {response.status_code}"
    detail = f"{code}: {message}" if message else code
    log.warning("chime refused", call=what, status=response.status_code, code=code, message=message)
    if response.status_code == 429:
        hint = aws.retry_after(response.headers.get("Retry-After"))
        return errors.RateLimited(detail, retry_after=hint, response=text)
    return errors.from_status(response.status_code, detail, text)


@dataclass(frozen=True)
class Answer:
    status: int
    data: Json = field(default_factory=dict)


# --- the client -------------------------------------------------------------------------------


class ChimeClient:
    def __init__(self, settings: ChimeSettings, credentials: Any) -> None:
        self._settings = settings
        self._account = quote(settings.account_id, safe="")
        self._auth = SigV4(credentials, settings.region)
        self._http = httpx.AsyncClient(
            base_url=settings.endpoint_url,
            timeout=httpx.Timeout(settings.timeout_seconds),
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            headers={"User-Agent": "kickbot-chime"},
        )

    async def close(self) -> None:
        await self._http.aclose()

    def _retrying(self) -> AsyncRetrying:
        s = self._settings
        return aws.retrying(s.retry_attempts, s.retry_initial_seconds, s.retry_max_wait_seconds)

    async def _send(
        self,
        what: str,
        method: str,
        url: str,
        expect: int | None,
        *,
        signed: bool = True,
        params: Mapping[str, str | int] | None = None,
        body: Json | None = None,
        pace: AbstractAsyncContextManager[Any] | None = None,
        attempts: aws.Attempts | None = None,
    ) -> Answer:
        tries = attempts if attempts is not None else aws.Attempts()
        try:
            with telemetry.api_call("chime", what):  # the model's operation name, or "webhook"
                return await self._attempts(
                    what, method, url, expect, signed, params, body, pace, tries
                )
        except errors.PlatformError as err:
            err.resent = tries.count > 1  # an earlier attempt may have acted
            raise

    async def _attempts(
        self,
        what: str,
        method: str,
        url: str,
        expect: int | None,
        signed: bool,
        params: Mapping[str, str | int] | None,
        body: Json | None,
        pace: AbstractAsyncContextManager[Any] | None,
        tries: aws.Attempts,
    ) -> Answer:
        content = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else {}
        async for attempt in self._retrying():
            with attempt:
                tries.count += 1
                async with pace if pace is not None else nullcontext():
                    try:
                        response = await self._http.request(
                            method,
                            url,
                            params=params,
                            content=content,
                            headers=headers,
                            auth=self._auth if signed else None,
                        )
                    except httpx.TransportError as exc:
                        raise errors.Unavailable(
                            f"cannot reach Chime ({what}): {exc!r}", status=503
                        ) from exc
                ok = response.is_success if expect is None else response.status_code == expect
                if not ok:
                    raise to_platform_error(what, response)
                try:
                    data = response.json() if response.content else {}
                except ValueError:
                    data = {}
                return Answer(response.status_code, data if isinstance(data, dict) else {})
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _room(self, room_id: str) -> str:
        return f"/accounts/{self._account}/rooms/{quote(room_id, safe='')}"

    def _membership(self, room_id: str, member_id: str) -> str:
        return f"{self._room(room_id)}/memberships/{quote(member_id, safe='')}"

    # --- operations (requestUri/method/responseCode from the model) ---------------------------

    async def get_room(self, room_id: str) -> Json:
        answer = await self._send("GetRoom", "GET", self._room(room_id), 200)
        room = answer.data.get("Room")
        return room if isinstance(room, dict) else {}

    async def list_room_memberships(self, room_id: str) -> AsyncIterator[Json]:
        url = f"{self._room(room_id)}/memberships"
        async for item in self._pages("ListRoomMemberships", url, "RoomMemberships"):
            yield item

    async def list_rooms(self, member_id: str) -> AsyncIterator[Json]:
        """The rooms ``member_id`` belongs to (``ListRooms?member-id=``), page by page."""
        url = f"/accounts/{self._account}/rooms"
        async for item in self._pages("ListRooms", url, "Rooms", {"member-id": member_id}):
            yield item

    async def _pages(
        self, operation: str, url: str, key: str, query: Mapping[str, str] | None = None
    ) -> AsyncIterator[Json]:
        """The items under ``key`` of every page ``operation`` answers, one page after another."""
        token: str | None = None
        while True:
            params: dict[str, str | int] = {
                **(query or {}),
                "max-results": self._settings.page_size,
            }
            if token:
                params["next-token"] = token
            answer = await self._send(operation, "GET", url, 200, params=params)
            for item in answer.data.get(key) or []:
                if isinstance(item, dict):
                    yield item
            token = answer.data.get("NextToken") or None
            if not token:
                return

    async def answers(self, member_id: str) -> None:
        """One signed read that changes nothing and reads only what the bot reads anyway (the
        first of ``member_id``'s rooms, ``ListRooms``): a PlatformError unless the API answers
        the bot's credentials."""
        params: dict[str, str | int] = {"member-id": member_id, "max-results": 1}
        await self._send("ListRooms", "GET", f"/accounts/{self._account}/rooms", 200, params=params)

    async def delete_room_membership(
        self, room_id: str, member_id: str, attempts: aws.Attempts
    ) -> None:
        url = self._membership(room_id, member_id)
        await self._send("DeleteRoomMembership", "DELETE", url, 204, attempts=attempts)

    async def update_room_membership(self, room_id: str, member_id: str, role: str) -> Json:
        url = self._membership(room_id, member_id)
        answer = await self._send("UpdateRoomMembership", "POST", url, 200, body={"Role": role})
        return answer.data

    async def create_room_membership(
        self, room_id: str, member_id: str, role: str, attempts: aws.Attempts
    ) -> Json:
        url = f"{self._room(room_id)}/memberships"
        body = {"MemberId": member_id, "Role": role}
        answer = await self._send(
            "CreateRoomMembership", "POST", url, 201, body=body, attempts=attempts
        )
        return answer.data

    async def list_users_by_email(self, address: str) -> list[Json]:
        url = f"/accounts/{self._account}/users"
        answer = await self._send("ListUsers", "GET", url, 200, params={"user-email": address})
        return [u for u in answer.data.get("Users") or [] if isinstance(u, dict)]

    async def post_webhook(
        self, url: str, content: str, pace: AbstractAsyncContextManager[Any]
    ) -> None:
        """A message to an event's InboundHttpsEndpoint (not signed: the URL carries a token)."""
        body = {"Content": content}
        await self._send("webhook", "POST", url, None, signed=False, body=body, pace=pace)


def content_bytes(content: str) -> int:
    """Size of the webhook body kickbot sends for ``content`` (Chime refuses > 4 KB: 413)."""
    return len(json.dumps({"Content": content}, ensure_ascii=False).encode())
