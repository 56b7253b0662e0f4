"""Whether kickbot can do its work now: every enabled platform connected, the store answering.

A platform says whether it is connected through ``bot.platform.ReportsConnection``; one that
does not implement it counts as connected once started (it has nothing it holds open). Checks
run side by side, each bounded by a timeout, and a check made less than ``reuse_seconds`` ago
is reused, so probes sent often cost the platforms and the store no more than that."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.platform import Platform, ReportsConnection
from bot.store import Store


@dataclass(frozen=True)
class Readiness:
    """What is not ready (by what, why); empty when everything is."""

    problems: dict[str, str]

    @property
    def ready(self) -> bool:
        return not self.problems

    def text(self) -> str:
        if self.ready:
            return "ready\n"
        return "".join(f"{what}: {why}\n" for what, why in sorted(self.problems.items()))


async def _bounded(check: Callable[[], Awaitable[str | None]], seconds: float) -> str | None:
    try:
        async with asyncio.timeout(seconds):
            return await check()
    except TimeoutError:
        return f"no answer within {seconds:g} s"
    except Exception as exc:  # a check that fails says why, never a 500
        return f"check failed: {type(exc).__name__}: {exc}"


class Running(Protocol):
    """What the check reads of the app (``bot.app.App``)."""

    platforms: dict[str, Platform]
    store: Store | None
    started: bool


class ReadinessCheck:
    def __init__(
        self,
        app: Running,
        *,
        timeout: float = 5.0,
        reuse_seconds: float = 1.0,
    ):
        self._app = app
        self._timeout = timeout
        self._reuse = reuse_seconds
        self._last: tuple[float, Readiness] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> Readiness:
        async with self._lock:  # probes arriving together share one check
            loop = asyncio.get_running_loop()
            if self._last is not None and loop.time() - self._last[0] < self._reuse:
                return self._last[1]
            result = await self._check_now()
            self._last = (loop.time(), result)
            return result

    async def _check_now(self) -> Readiness:
        if not self._app.started:
            return Readiness({"kickbot": "starting or stopping"})
        checks: dict[str, Callable[[], Awaitable[str | None]]] = {"store": self._store_problem}
        for name, platform in self._app.platforms.items():
            if isinstance(platform, ReportsConnection):
                checks[name] = platform.connection_problem
        found = await asyncio.gather(*(_bounded(c, self._timeout) for c in checks.values()))
        return Readiness({k: v for k, v in zip(checks, found, strict=True) if v is not None})

    async def _store_problem(self) -> str | None:
        store = self._app.store
        if store is None:
            return "not open yet"
        await store.answers()
        return None
