"""The messaging session WebSocket of the Amazon Chime SDK double, on its own loopback port
(AWS serves it from another host than the REST API: ``id.region.ws-messaging.chime.aws``).

``GET /connect`` is checked as the service would: a SigV4 signature in the query (service
``chime``, recomputed with botocore over the method, path, query and signed headers, the
payload hash of the empty string), within ``X-Amz-Expires`` of ``X-Amz-Date``, a known access
key, a ``sessionId`` and the ``userArn`` of a known AppInstanceUser; anything else is a 403
before the upgrade (and recorded). An accepted socket gets ``SESSION_ESTABLISHED`` (headers
only, no payload), then a ``CREATE_CHANNEL_MESSAGE`` for every message of a channel its user is
a member of, the user's own included, as the developer guide's ``message-structures`` says:
``{"Headers": {...}, "Payload": "<the ChannelMessage as JSON text>"}``; the payload's members
are checked against botocore's ``ChannelMessage`` shape. Timestamps in payloads are ISO 8601
text (the REST API's are epoch numbers): a client must read both.

Knobs: ``refuse_next(times, status)`` (the upgrade answered with an HTTP error, e.g. 503 for an
outage; ``accept_again()`` ends it), ``close_next(code)`` (accepted, established, then closed
with that code), ``drop()`` (every open socket cut without a close frame, as a network
failure: 1006 on the client) and
``hold_events()`` (events not sent while held are lost, as on the real service while a client
is away: sessions deliver only while they are open).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import botocore.session
from aiohttp import WSCloseCode, web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bot.testing.aws.sigv4 import scope_problem, signed_at
from bot.testing.kit import EmulatedServer, Knobs

SERVICE = "chime"
_CREDENTIAL = re.compile(
    r"(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request$"
)
MAX_EXPIRES = 7 * 24 * 3600
MAX_SKEW_SECONDS = 5 * 60


@dataclass(frozen=True)
class ConnectAttempt:
    user_arn: str | None
    session_id: str | None
    accepted: bool
    refusal: str | None
    """Why it was refused (a signature problem, an unknown user, a planned failure)."""
    query: tuple[tuple[str, str], ...]


@dataclass
class _Socket:
    request: web.Request
    ws: web.WebSocketResponse
    user_arn: str
    session_id: str
    outbox: asyncio.Queue[str]


def _message_members() -> frozenset[str]:
    model = botocore.session.get_session().get_service_model("chime-sdk-messaging")
    return frozenset(model.shape_for("ChannelMessage").members)


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def verify_presigned(
    *,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: Mapping[str, str],
    secrets: Mapping[str, str],
    region: str,
    now: datetime | None = None,
) -> str | None:
    """What is wrong with a SigV4 query signature (service ``chime``), or None."""
    params = dict(query)
    if len(params) != len(query):
        return "a query parameter is repeated"
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return "X-Amz-Algorithm must be AWS4-HMAC-SHA256"
    found = _CREDENTIAL.match(params.get("X-Amz-Credential", ""))
    if found is None:
        return "malformed or missing X-Amz-Credential"
    key, amz_date = found["key"], params.get("X-Amz-Date", "")
    if (problem := scope_problem(found, amz_date, secrets, region, SERVICE)) is not None:
        return problem
    when = signed_at(amz_date)
    expires = params.get("X-Amz-Expires", "")
    if not expires.isdigit() or not 1 <= int(expires) <= MAX_EXPIRES:
        return f"X-Amz-Expires must be 1..{MAX_EXPIRES} seconds: {expires!r}"
    age = ((now or datetime.now(UTC)) - when).total_seconds()
    if age > int(expires):
        return f"the signature expired {age - int(expires):.0f} s ago"
    if age < -MAX_SKEW_SECONDS:
        return "X-Amz-Date is in the future"
    signed = params.get("X-Amz-SignedHeaders", "").split(";")
    if "host" not in signed:
        return "X-Amz-SignedHeaders must include host"
    lowered = {k.lower(): v for k, v in headers.items()}
    if any(h not in lowered for h in signed):
        return "a signed header is missing"
    signature = params.get("X-Amz-Signature", "")
    if not re.fullmatch(r"[0-9a-f]{64}", signature):
        return "malformed or missing X-Amz-Signature"
    request = AWSRequest(
        method=method,
        url=f"https://{lowered['host']}{path}",  # an https URL: the empty payload is hashed
        params=[(k, v) for k, v in query if k != "X-Amz-Signature"],
        headers={h: lowered[h] for h in signed},
    )
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(key, secrets[key]), SERVICE, region)
    expected = signer.signature(
        signer.string_to_sign(request, signer.canonical_request(request)), request
    )
    if not hmac.compare_digest(expected, signature):
        return "the signature does not match the request (SignatureDoesNotMatch)"
    return None


class SessionServer(EmulatedServer[ConnectAttempt]):
    """The session endpoint. ``is_user`` says whether an ARN is a known AppInstanceUser;
    ``members_of`` gives a channel's member ARNs (the double's state decides both)."""

    def __init__(
        self,
        *,
        secrets: Mapping[str, str],
        region: str,
        is_user: Callable[[str], bool],
        members_of: Callable[[str], Collection[str]],
    ) -> None:
        super().__init__()
        self._secrets = secrets
        self._region = region
        self._is_user = is_user
        self._members_of = members_of
        self._sockets: list[_Socket] = []
        self.knobs: Knobs[str, int] = Knobs()
        self._close_codes: list[int] = []
        self._early: list[str] = []
        self._held = False
        self._message_members = _message_members()
        self.events_sent = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/connect", self._connect)
        await self._serve(app)

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.ws.close(code=WSCloseCode.GOING_AWAY)
        await self._close()

    @property
    def endpoint(self) -> str:
        """GetMessagingSessionEndpoint's ``Url``: a host and port, without a scheme."""
        return f"127.0.0.1:{self.port}"

    @property
    def sessions(self) -> list[str]:
        """The user ARNs of the sockets open now."""
        return [s.user_arn for s in self._sockets]

    async def wait_for_sessions(self, count: int = 1, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self.changed.wait_for(lambda: len(self._sockets) >= count, timeout)

    async def wait_for_no_session(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self.changed.wait_for(lambda: not self._sockets, timeout)

    # --- knobs ----------------------------------------------------------------------------

    def refuse_next(self, times: int = 1, status: int = 503) -> None:
        self.knobs.fail(lambda call: call == "connect", status, times=times)

    def accept_again(self) -> None:
        """Forget the refusals still planned: the next connection is accepted."""
        for planned in self.knobs.planned:
            planned.remaining = 0

    def close_next(self, code: int) -> None:
        """The next accepted socket is established, then closed with ``code``."""
        self._close_codes.append(code)

    def before_established_next(self, message: Mapping[str, Any]) -> None:
        """The next accepted socket gets ``message``'s event *before* SESSION_ESTABLISHED (the
        JS SDK notes it can happen)."""
        self._early.append(self._frame(message))

    def send_raw(self, text: str) -> None:
        """Send ``text`` as it is, as one frame, to every open socket (hostile frames)."""
        for socket in list(self._sockets):
            socket.outbox.put_nowait(text)

    def drop(self) -> None:
        """Cut every open socket without a close frame (a network failure)."""
        for socket in list(self._sockets):
            if socket.request.transport is not None:
                socket.request.transport.abort()

    def hold_events(self, held: bool = True) -> None:
        self._held = held

    # --- /connect -------------------------------------------------------------------------

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        query = [(k, v) for k, v in request.rel_url.query.items()]
        params = dict(query)
        user_arn, session_id = params.get("userArn"), params.get("sessionId")
        refusal = verify_presigned(
            method=request.method,
            path=request.path,
            query=query,
            headers=request.headers,
            secrets=self._secrets,
            region=self._region,
        )
        status = 403
        if refusal is None and not session_id:
            refusal = "no sessionId"
        if refusal is None and (not user_arn or not self._is_user(user_arn)):
            refusal = f"userArn is not an AppInstanceUser: {user_arn!r}"
        if refusal is None and (planned := self.knobs.take("connect", request)) is not None:
            refusal, status = f"planned {planned}", planned
        attempt = ConnectAttempt(
            user_arn, session_id, refusal is None, refusal, tuple(sorted(query))
        )
        if refusal is not None:
            self.record(attempt)
            return web.json_response({"Code": "Forbidden", "Message": refusal}, status=status)
        ws = web.WebSocketResponse(heartbeat=20.0)
        await ws.prepare(request)
        assert user_arn is not None
        assert session_id is not None
        socket = _Socket(request, ws, user_arn, session_id, asyncio.Queue())
        established = {
            "Headers": {
                "x-amz-chime-event-type": "SESSION_ESTABLISHED",
                "x-amz-chime-message-type": "SYSTEM",
            }
        }
        for frame in self._early:
            socket.outbox.put_nowait(frame)
        self._early.clear()
        socket.outbox.put_nowait(json.dumps(established))
        self._sockets.append(socket)
        self.record(attempt)
        sender = asyncio.create_task(self._send(socket))
        try:
            if self._close_codes:
                await socket.outbox.join()
                await ws.close(code=self._close_codes.pop(0), message=b"planned")
            async for _ in ws:  # clients send nothing; pings are answered by aiohttp
                pass
        finally:
            sender.cancel()
            self._sockets.remove(socket)
            self.changed.notify()
        return ws

    async def _send(self, socket: _Socket) -> None:
        """A socket's frames, in the order they were published."""
        while True:
            frame = await socket.outbox.get()
            try:
                await socket.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return  # the socket is gone: what it was sent is lost, as on the service
            finally:
                socket.outbox.task_done()

    # --- events ---------------------------------------------------------------------------

    def _frame(self, message: Mapping[str, Any]) -> str:
        """The ``CREATE_CHANNEL_MESSAGE`` frame of a ChannelMessage (checked against the
        model's shape; timestamps as ISO 8601 text)."""
        unknown = set(message) - self._message_members
        if unknown:
            self.violate("event", f"ChannelMessage has members the model lacks: {unknown}")
        payload = dict(message)
        for key in ("CreatedTimestamp", "LastUpdatedTimestamp", "LastEditedTimestamp"):
            if isinstance(payload.get(key), int | float):
                payload[key] = iso(float(payload[key]))
        return json.dumps(
            {
                "Headers": {
                    "x-amz-chime-event-type": "CREATE_CHANNEL_MESSAGE",
                    "x-amz-chime-message-type": str(message.get("Type", "STANDARD")),
                },
                "Payload": json.dumps(payload),
            }
        )

    def publish(self, message: Mapping[str, Any]) -> None:
        """A ``CREATE_CHANNEL_MESSAGE`` for ``message`` (a ChannelMessage: ``ChannelArn``,
        ``MessageId``, ``Content``, ``Type``, ``Sender``, ``CreatedTimestamp`` as epoch
        seconds…) to every open socket of a member of its channel (the sender's included)."""
        if self._held:
            return
        frame = self._frame(message)
        members = set(self._members_of(str(message.get("ChannelArn", ""))))
        for socket in list(self._sockets):
            if socket.user_arn in members and not socket.ws.closed:
                socket.outbox.put_nowait(frame)
                self.events_sent += 1
