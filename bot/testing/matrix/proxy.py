"""``RecordingProxy`` sits between kickbot and Synapse and logs every request kickbot makes
(and can lose an answer after Synapse acted, refuse a request before it reaches Synapse, or hold
one until the test lets it go).
"""

from __future__ import annotations

<<<<<<< HEAD
import asyncio
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
=======
import re
from collections.abc import Callable
from dataclasses import dataclass
>>>>>>> main

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


<<<<<<< HEAD
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
=======
class RecordingProxy(EmulatedServer[ProxiedCall]):
    """An HTTP proxy in front of Synapse that records every request passing through it
    (``calls``); with ``lose_next`` it passes a request on and loses Synapse's answer (an
    answer lost after acting)."""
>>>>>>> main

    def __init__(self, upstream: str):
        super().__init__()
        self.upstream = upstream.rstrip("/")
<<<<<<< HEAD
        self.calls: list[ProxiedCall] = []
        self._losses: list[_Loss] = []
        self._refusals: list[_Refusal] = []
        self._holds: list[_Hold] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
=======
        self.knobs: Knobs[ProxiedCall, int] = Knobs()
        """Answers to lose, by the status a lost one is answered with."""
>>>>>>> main
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
<<<<<<< HEAD
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
=======
        self.knobs.fail(match, status, times=times, after_effect=True, reset=reset)
>>>>>>> main

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        body = await request.read()
        call = ProxiedCall(request.method, request.path, request.query_string, body)
<<<<<<< HEAD
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
=======
        self.record(call)
>>>>>>> main
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
