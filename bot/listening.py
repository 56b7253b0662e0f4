"""An aiohttp application listening on a host and port, with the background task that goes
with it: the operations endpoint (its audit watch) and SCIM (its offboarding resumer) start
and stop the same way."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Listening:
    runner: web.AppRunner
    task: asyncio.Task[None]
    port: int
    """The port listened on (``0`` asked for: the free one picked)."""

    @classmethod
    async def start(
        cls,
        app: web.Application,
        host: str,
        port: int,
        background: Callable[[], Coroutine[Any, Any, None]],
        name: str,
    ) -> Listening:
        """Listen, then start ``background()`` as the task ``name``."""
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        bound = int(runner.addresses[0][1]) if runner.addresses else port
        return cls(runner, asyncio.create_task(background(), name=name), bound)

    async def stop(self) -> None:
        """Cancel the task and wait for it to end, then stop listening."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.runner.cleanup()
