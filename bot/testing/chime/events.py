"""Chime's side of chat bot events: POST an event to the bot's outbound HTTPS endpoint the way
Amazon Chime does (AWS docs: auth-bots, events-bots, config-endpoints).

Each attempt carries ``Chime-Request-Timestamp`` (ISO 8601, UTC) and ``Chime-Signature`` =
base64(HMAC-SHA256(security token, timestamp + "|" + body)). The endpoint must answer 200 within
2 s; on a timeout or a 5xx Chime tries again after 200 ms and then 400 ms, with a new timestamp
and the same body. Those two waits are Chime's schedule, reproduced here, not synchronisation.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.testing.kit import TimedSession

if TYPE_CHECKING:
    from bot.testing.chime.double import ChimeDouble

ANSWER_WITHIN_SECONDS = 2.0
RETRY_DELAYS = (0.2, 0.4)


def chime_timestamp(when: datetime | None = None) -> str:
    moment = when or datetime.now(UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def signature(token: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(token.encode(), timestamp.encode() + b"|" + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


@dataclass(frozen=True)
class Attempt:
    status: int | None
    """None: no answer within 2 s (or no connection)."""
    body: str
    timestamp: str
    seconds: float


@dataclass
class Delivery:
    body: bytes
    attempts: list[Attempt] = field(default_factory=list)
    webhook_url: str | None = None

    @property
    def status(self) -> int | None:
        return self.attempts[-1].status if self.attempts else None

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class ChimeEvents:
    def __init__(self, double: ChimeDouble) -> None:
        self._double = double
        self.endpoint: str | None = None
        """The bot's endpoint: PutEventsConfiguration's OutboundEventsHTTPSEndpoint."""
        self._http = TimedSession()

    @property
    def sent_at(self) -> float | None:
        """When the last attempt's body was written to the bot's socket (``perf_counter``)."""
        return self._http.sent_at

    async def close(self) -> None:
        await self._http.close()

    def mention_prefix(self) -> str:
        return "@" + self._double.bot.email

    def mention_body(
        self,
        sender_email: str,
        room_id: str,
        message: str,
        *,
        webhook_url: str | None = None,
        discussion_type: str = "Room",
        event_type: str = "Mention",
    ) -> bytes:
        """An event as AWS's docs show it (events-bots: Mention)."""
        event = {
            "Sender": {"SenderId": sender_email, "SenderIdType": "EmailId"},
            "Discussion": {"DiscussionId": room_id, "DiscussionType": discussion_type},
            "EventType": event_type,
            "InboundHttpsEndpoint": {
                "EndpointType": "ShortLived",
                "Url": webhook_url or self._double.webhook_url(room_id),
            },
            "EventTimestamp": chime_timestamp(),
            "Message": message,
        }
        return json.dumps(event).encode()

    async def mention(
        self, sender_email: str, room_id: str, text: str, *, addressed: bool = True
    ) -> Delivery:
        """``sender_email`` says ``text`` in the room, mentioning the bot first (``addressed``)."""
        message = f"{self.mention_prefix()} {text}" if addressed else text
        url = self._double.webhook_url(room_id)
        body = self.mention_body(sender_email, room_id, message, webhook_url=url)
        delivery = await self.send(body)
        delivery.webhook_url = url
        return delivery

    async def send(
        self,
        body: bytes,
        *,
        url: str | None = None,
        retries: bool = True,
        token: str | None = None,
        at: datetime | None = None,
        signature_header: str | None = None,
        signed: bool = True,
    ) -> Delivery:
        """Deliver ``body`` like Chime: signed with the bot's token (or ``token``, to forge),
        stamped now (or ``at``, to be stale), retried on a 5xx or a timeout (``retries``)."""
        target = url or self.endpoint
        if target is None:
            raise RuntimeError("set events.endpoint to the bot's URL (platform.listen_url)")
        delivery = Delivery(body)
        for delay in (0.0, *(RETRY_DELAYS if retries else ())):
            if delay:
                await asyncio.sleep(delay)  # Chime's retry schedule
            stamp = chime_timestamp(at)
            headers = {"Content-Type": "application/json"}
            if signed:
                headers["Chime-Request-Timestamp"] = stamp
                headers["Chime-Signature"] = signature_header or signature(
                    token or self._double.security_token, stamp, body
                )
            attempt = await self._post(target, body, headers, stamp)
            delivery.attempts.append(attempt)
            if attempt.status is not None and attempt.status < 500:
                break
        return delivery

    async def verify_endpoint(self, url: str | None = None) -> tuple[bool, Delivery]:
        """PutEventsConfiguration's handshake: POST a challenge, expect it echoed in JSON."""
        challenge = base64.b32encode(hashlib.sha256(str(time.time()).encode()).digest()[:10])
        body = json.dumps(
            {"Challenge": challenge.decode(), "EventType": "HTTPSEndpointVerification"}
        ).encode()
        delivery = await self.send(body, url=url, retries=False, signed=False)
        answer = delivery.attempts[-1]
        try:
            echoed = json.loads(answer.body).get("Challenge")
        except (ValueError, AttributeError):
            echoed = None
        return answer.status == 200 and echoed == challenge.decode(), delivery

    async def _post(self, url: str, body: bytes, headers: dict[str, str], stamp: str) -> Attempt:
        started = time.monotonic()
        try:
            async with self._http.get().post(
                url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=ANSWER_WITHIN_SECONDS),
            ) as response:
                text = await response.text()
                status: int | None = response.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            text, status = repr(exc), None
        return Attempt(status, text, stamp, time.monotonic() - started)
