"""``RecordingProxy`` sits between kickbot and Synapse and logs every request kickbot makes
(and can lose an answer after Synapse acted, refuse a request before it reaches Synapse, or hold
one until the test lets it go).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web


@dataclass(slots=True)
class ProxiedCall:
    method: str
    path: str
    query: str
    body: bytes
    status: int | None = None
    response: bytes = b""
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def changes_state(self) -> bool:
        """Membership or state changes (kick, ban, invite, power levels, …)."""
        p = self.path
        return (self.method == "POST" and re.search(r"/rooms/[^/]+/(kick|ban|invite)$", p)
                is not None) or (self.method == "PUT" and "/state/" in p)  # fmt: skip


@dataclass(slots=True)
class _Loss:
    match: Callable[[ProxiedCall], bool]
    status: int
    reset: bool
    remaining: int


@dataclass(slots=True)
class _Refusal:
    match: Callable[[ProxiedCall], bool]
    status: int
    errcode: str


@dataclass(slots=True)
class _Hold:
    match: Callable[[ProxiedCall], bool]
    released: asyncio.Event


class RecordingProxy:
    """An HTTP proxy in front of Synapse that logs every request passing through it; with
    ``lose_next`` it passes a request on and loses Synapse's answer (an answer lost after
    acting), with ``fail_next`` it answers one with an error instead of passing it on (refused
    before acting), with ``hold_next`` it holds one until released."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.calls: list[ProxiedCall] = []
        self._losses: list[_Loss] = []
        self._refusals: list[_Refusal] = []
        self._holds: list[_Hold] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""
        self._port = 0

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        # A long-poll /sync that kickbot abandons is cancelled upstream too, and stop is quick.
        self._runner = web.AppRunner(
            app, handle_signals=False, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        # started again (Synapse "coming back"), it keeps its port
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        port = self._port = int(self._runner.addresses[0][1])
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None), auto_decompress=False
        )
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def __aenter__(self) -> RecordingProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

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
        self._losses.append(_Loss(match, status, reset, times))

    def fail_next(
        self,
        match: Callable[[ProxiedCall], bool],
        *,
        status: int = 403,
        errcode: str = "M_FORBIDDEN",
    ) -> None:
        """The next request that ``match`` is answered with a ``status`` error (``errcode``)
        without reaching Synapse: refused before acting."""
        self._refusals.append(_Refusal(match, status, errcode))

    def hold_next(self, match: Callable[[ProxiedCall], bool]) -> asyncio.Event:
        """The next request that ``match`` waits before it is passed on until the returned
        event is set."""
        hold = _Hold(match, asyncio.Event())
        self._holds.append(hold)
        return hold.released

    @staticmethod
    def _first(found: Sequence[_Refusal | _Hold], call: ProxiedCall) -> int | None:
        return next((i for i, f in enumerate(found) if f.match(call)), None)

    def _loss(self, call: ProxiedCall) -> _Loss | None:
        for loss in self._losses:
            if loss.remaining > 0 and loss.match(call):
                loss.remaining -= 1
                return loss
        return None

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        call = ProxiedCall(request.method, request.path, request.query_string, body)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if (i := self._first(self._refusals, call)) is not None:
            refusal = self._refusals.pop(i)
            refused = {"errcode": refusal.errcode, "error": "refused by the test proxy"}
            async with self._changed:
                call.status, call.response = refusal.status, json.dumps(refused).encode()
                call.done.set()
                self._changed.notify_all()
            return web.json_response(refused, status=refusal.status)
        if (i := self._first(self._holds, call)) is not None:
            await self._holds.pop(i).released.wait()
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
        if (loss := self._loss(call)) is not None:
            if loss.reset and request.transport is not None:
                request.transport.abort()
            lost = {"errcode": "M_UNKNOWN", "error": "answer lost by the test proxy"}
            out = web.json_response(lost, status=loss.status)
        async with self._changed:
            call.status, call.response = up.status, data
            call.done.set()
            self._changed.notify_all()
        return out

    async def wait_for(
        self,
        match: Callable[[ProxiedCall], bool],
        count: int = 1,
        timeout: float = 20.0,  # noqa: ASYNC109
    ) -> list[ProxiedCall]:
        """Wait until ``count`` finished calls match."""

        async def find() -> list[ProxiedCall]:
            async with self._changed:
                while True:
                    found = [c for c in self.calls if c.status is not None and match(c)]
                    if len(found) >= count:
                        return found
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def wait_until_syncing(self, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        """Until kickbot's long-poll ``/sync`` (one with ``since``) is waiting at the server."""

        async def find() -> None:
            async with self._changed:
                while not any(
                    c.path.endswith("/sync") and "since=" in c.query and c.status is None
                    for c in self.calls
                ):
                    await self._changed.wait()

        await asyncio.wait_for(find(), timeout)

    def changes(self) -> list[str]:
        """Every state-changing call kickbot made, as "METHOD path -> status"."""
        return [f"{c.method} {c.path} -> {c.status}" for c in self.calls if c.changes_state]
