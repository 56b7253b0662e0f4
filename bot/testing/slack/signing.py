"""Deliver slash commands and events to a Bolt app's HTTP endpoint, signed as Slack signs them.

The signature is slack_sdk's own ``SignatureVerifier.generate_signature`` (``v0=`` +
HMAC-SHA256 of ``v0:{timestamp}:{body}``), the algorithm Bolt checks against.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.testing.kit import TimedSession


@dataclass(frozen=True)
class Delivery:
    """How the app answered a delivery."""

    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class SignedSender:
    def __init__(self, url: str, signing_secret: str) -> None:
        self.url = url
        self.signing_secret = signing_secret
        self._http = TimedSession()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def sent_at(self) -> float | None:
        """``time.perf_counter()`` when the last request's body was written to the socket."""
        return self._http.sent_at

    async def close(self) -> None:
        await self._http.close()

    def sign(
        self, body: bytes, *, timestamp: int | None = None, secret: str | None = None
    ) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        verifier = SignatureVerifier(secret if secret is not None else self.signing_secret)
        signature = verifier.generate_signature(timestamp=ts, body=body)
        assert signature is not None
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}

    async def slash_command(self, fields: Mapping[str, str], **how: Any) -> Delivery:
        """POST a slash command (form-encoded, as Slack sends it)."""
        body = urlencode(dict(fields)).encode()
        return await self.post(body, "application/x-www-form-urlencoded", **how)

    async def event(
        self,
        body: Mapping[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **how: Any,
    ) -> Delivery:
        """POST an Events API callback; ``retry_num`` makes it a retried delivery."""
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        raw = json.dumps(dict(body)).encode()
        return await self.post(raw, "application/json", headers=headers, **how)

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Delivery:
        """POST ``body`` signed with ``secret`` (default: the right one) at ``timestamp``
        (default: now); ``signature`` replaces the computed one (a forgery)."""
        signed = self.sign(body, timestamp=timestamp, secret=secret)
        if signature is not None:
            signed["X-Slack-Signature"] = signature
        all_headers = {"Content-Type": content_type, **signed, **(headers or {})}
        async with self._http.get().post(self.url, data=body, headers=all_headers) as response:
            return Delivery(response.status, await response.text())
