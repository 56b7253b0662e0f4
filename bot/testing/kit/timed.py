"""The client side of a double that delivers to kickbot (webhooks, events, slash commands)."""

from __future__ import annotations

import time
from typing import Any

import aiohttp


class TimedSession:
    """One aiohttp session, opened on first use, that notes when a request's body was written
    to the socket: ``sent_at`` (``time.perf_counter()``), what a latency bench times a delivery
    from."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._session: aiohttp.ClientSession | None = None
        self.sent_at: float | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None:
            trace = aiohttp.TraceConfig()
            trace.on_request_chunk_sent.append(self._chunk_sent)
            self._session = aiohttp.ClientSession(trace_configs=[trace], **self._options)
        return self._session

    async def _chunk_sent(self, *_: object) -> None:
        self.sent_at = time.perf_counter()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
