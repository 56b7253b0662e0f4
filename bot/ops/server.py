"""kickbot's operations endpoint (aiohttp): ``GET /healthz`` answers while the process lives,
``GET /readyz`` 200 only when ``bot.ops.readiness`` finds everything ready, else 503 with what
is not in the body; ``GET /metrics`` in Prometheus' format (``bot.ops.metrics``). Nothing here
changes state or shows a secret; other paths are a 404."""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from aiohttp import web

from bot import telemetry
from bot.listening import Listening
from bot.ops.audit_watch import AuditWatch
from bot.ops.metrics import CONTENT_TYPE_LATEST, PrometheusObserver
from bot.ops.readiness import ReadinessCheck, Running
from bot.ops.settings import HttpSettings

log = structlog.get_logger(__name__)

_TEXT = "text/plain"


class OpsServer:
    def __init__(self, settings: HttpSettings, app: Running, sinks: Sequence[str] = ()):
        self.settings = settings
        self.app = app
        self.readiness = ReadinessCheck(app, timeout=settings.ready_timeout_seconds)
        self.metrics = PrometheusObserver(sorted(app.platforms), sinks)
        self._listening: Listening | None = None
        self.audit_watch = AuditWatch(
            app,
            self.metrics,
            every=settings.audit_verify_minutes * 60,
            full_every=settings.audit_full_verify_hours * 3600,
        )

    def application(self) -> web.Application:
        app = web.Application(client_max_size=1024)
        app.router.add_get("/healthz", self._healthz, allow_head=True)
        app.router.add_get("/readyz", self._readyz, allow_head=True)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n", content_type=_TEXT)

    async def _readyz(self, request: web.Request) -> web.Response:
        found = await self.readiness.check()
        return web.Response(
            status=200 if found.ready else 503, text=found.text(), content_type=_TEXT
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        body = await self.metrics.exposition(self.app.store)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self) -> None:
        telemetry.install(self.metrics)
        self._listening = await Listening.start(
            self.application(),
            self.settings.listen_host,
            self.settings.listen_port,
            self.audit_watch.run,
            "audit-watch",
        )
        log.info(
            "operations endpoint listening",
            host=self.settings.listen_host,
            port=self.settings.listen_port,
        )

    async def stop(self) -> None:
        telemetry.install(telemetry.Observer())
        if self._listening is not None:
            await self._listening.stop()
            self._listening = None


async def serve(settings: HttpSettings, app: Running, sinks: Sequence[str] = ()) -> OpsServer:
    """Start the endpoint (``sinks``: the configured audit sinks' names, for their lag)."""
    server = OpsServer(settings, app, sinks)
    await server.start()
    return server
