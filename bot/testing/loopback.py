"""What every emulated server shares: an aiohttp application on 127.0.0.1 at a free port."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from aiohttp import web


class LoopbackServer:
    """Subclasses build their application in ``start`` and hand it to ``_serve``; ``stop``
    releases what they hold, then calls ``_close``. Usable as an async context manager."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def _serve(self, app: web.Application, **runner_options: Any) -> None:
        self._runner = web.AppRunner(app, **{"access_log": None, **runner_options})
        await self._runner.setup()
        # a server started again keeps its port (a platform that went away comes back there)
        await web.TCPSite(self._runner, "127.0.0.1", self._port or 0).start()
        self._port = int(self._runner.addresses[0][1])

    async def _close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        await self._close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
