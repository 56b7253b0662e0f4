"""``RecordingProxy`` sits between kickbot and Synapse and logs every request kickbot makes
(and can lose an answer after Synapse acted, refuse a request before it reaches Synapse, or hold
one until the test lets it go).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from bot.testing.kit import EmulatedServer, Knobs


@dataclass(slots=True)
class ProxiedCall:
    method: str
    path: str
    query: str
    body: bytes
    status: int | None = None
    response: bytes = b""

    @property
    def changes_state(self) -> bool:
        """Membership or state changes (kick, ban, invite, power levels, …)."""
        p = self.path
        return (self.method == "POST" and re.search(r"/rooms/[^/]+/(kick|ban|invite)$", p)
                is not None) or (self.method == "PUT" and "/state/" in p)  # fmt: skip


class RecordingProxy(EmulatedServer[ProxiedCall]):
    """An HTTP proxy in front of Synapse that records every request passing through it
    (``calls``); with ``lose_next`` it passes a request on and loses Synapse's answer (an
    answer lost after acting); with ``fail_next`` it answers one with an error instead
    (refused before acting); with ``hold_next`` it holds one until released."""

    def __init__(self, upstream: str):
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.knobs: Knobs[ProxiedCall, int] = Knobs()
        """Answers to lose or to give instead of Synapse's, by their status."""
        self._session: aiohttp.ClientSession | None = None

    @property
    def calls(self) -> list[ProxiedCall]:
        return self.requests

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        # A long-poll /sync that kickbot abandons is cancelled upstream too, and stop is quick.
        await self._serve(app, handle_signals=False, handler_cancellation=True, shutdown_timeout=1)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False
        )

    async def stop(self) -> None:
        self.knobs.release_holds()
        await self._close()
        if self._session is not None:
            await self._session.close()

    def lose_next(
        self,
        match: Callable[[ProxiedCall], bool],
        *,
        status: int = 500,
        reset: bool = False,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests that ``match`` reach Synapse, which acts; its answer is
        replaced by a ``status`` error (``M_UNKNOWN``), or with ``reset`` by none at all (the
        connection is reset)."""
        self.knobs.fail(match, status, times=times, after_effect=True, reset=reset)

    def fail_next(
        self, match: Callable[[ProxiedCall], bool], *, status: int = 403, times: int = 1
    ) -> None:
        """The next ``times`` requests that ``match`` are answered with a ``status`` error
        (``M_FORBIDDEN``, or ``M_UNKNOWN`` for a 5xx) without reaching Synapse: refused before
        acting."""
        self.knobs.fail(match, status, times=times)

    def hold_next(self, match: Callable[[ProxiedCall], bool]) -> asyncio.Event:
        """Hold the next request that ``match`` until the returned event is set."""
        return self.knobs.hold(match)

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        call = ProxiedCall(request.method, request.path, request.query_string, body)
        self.record(call)
        if (status := self.knobs.take(call, request)) is not None:
            code = "M_UNKNOWN" if status >= 500 else "M_FORBIDDEN"
            call.status = status
            self.changed.notify()
            return web.json_response({"errcode": code, "error": "refused by the test proxy"},
                                     status=status)  # fmt: skip
        if (release := self.knobs.take_hold(call)) is not None:
            await release.wait()
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body, headers=headers
        ) as up:
            data = await up.read()
            out = web.Response(status=up.status, body=data)
            for k, v in up.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "date",
                                     "server"):  # fmt: skip
                    out.headers[k] = v
        if (lost_status := self.knobs.take(call, request, after=True)) is not None:
            lost = {"errcode": "M_UNKNOWN", "error": "answer lost by the test proxy"}
            out = web.json_response(lost, status=lost_status)
        call.status, call.response = up.status, data
        self.changed.notify()
        return out

    async def wait_until_syncing(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Until kickbot's long-poll ``/sync`` (one with ``since``) is waiting at the server."""
        await self.changed.wait_for(
            lambda: any(
                c.path.endswith("/sync") and "since=" in c.query and c.status is None
                for c in self.calls
            ),
            timeout,
        )

    def changes(self) -> list[str]:
        """Every state-changing call kickbot made, as "METHOD path -> status"."""
        return [f"{c.method} {c.path} -> {c.status}" for c in self.calls if c.changes_state]
