"""Composition root: settings -> store, dispatcher and the enabled platforms; start and stop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping
from typing import TYPE_CHECKING

import structlog

from bot import everywhere
from bot import platforms as platform_factories
from bot.audit import Chain, configured_chain
from bot.commands import Registry
from bot.dispatch import Dispatcher
from bot.ops.settings import OPS_EXTRAS
from bot.platform import KeepsReadPositions, Platform
from bot.settings import Settings
from bot.store import Store
from handlers import COMMANDS

if TYPE_CHECKING:
    from bot.entitlement import Policy
    from bot.ops.server import OpsServer
    from bot.scim.server import ScimServer
    from bot.streaming.streamer import Streamer

log = structlog.get_logger(__name__)

SCIM_EXTRAS = ("scim",)


def build_platforms(settings: Settings) -> dict[str, Platform]:
    built = {}
    for name in settings.enabled_platforms():
        section = getattr(settings, name)
        built[name] = platform_factories.build(name, section)
    return built


def audit_chain(settings: Settings) -> Chain:
    """The audit chain as configured: its key and where its head goes."""
    return configured_chain(settings.audit_key, settings.audit_head_file)


def streamer_for(settings: Settings) -> Streamer:
    """The audit streamer for ``audit_sinks`` (the ``stream`` extra for Splunk HEC)."""
    from bot.streaming.settings import STREAM_EXTRAS, SplunkHecSink
    from bot.streaming.streamer import Streamer

    if any(isinstance(s, SplunkHecSink) for s in settings.audit_sinks):
        platform_factories.import_with_extras("bot.streaming.hec", STREAM_EXTRAS)
    return Streamer(settings.audit_sinks)


class App:
    def __init__(self, settings: Settings, platforms: Mapping[str, Platform] | None = None):
        self.settings = settings
        self.platforms = dict(platforms) if platforms is not None else build_platforms(settings)
        self.registry = Registry(COMMANDS)
        self.store: Store | None = None
        self.dispatcher: Dispatcher | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.scim: ScimServer | None = None
        self.ops: OpsServer | None = None
        self.streamer: Streamer | None = None
        self.started = False
        """Every platform started and commands resumed (``GET /readyz``)."""

    def policy(self) -> Policy:
        """The configured policy; with SCIM, its clients (``scim:<name>``) are named for
        offboarding: their token is their authority (docs/scim.md)."""
        scim = self.settings.scim
        if scim is None:
            return self.settings.policy
        return everywhere.naming(self.settings.policy, [f"scim:{name}" for name in scim.tokens])

    async def start(self) -> None:
        if self.settings.http is not None:  # /healthz answers from the start
            ops = platform_factories.import_with_extras("bot.ops.server", OPS_EXTRAS)
            sinks = [sink.name for sink in self.settings.audit_sinks]  # their lag: a metric
            self.ops = await ops.serve(self.settings.http, self, sinks)
        chain = audit_chain(self.settings)
        if self.settings.audit_sinks:  # told of each append; started once the store is open
            self.streamer = streamer_for(self.settings)
            chain.sinks.append(self.streamer)
        self.store = await Store.open(self.settings.store, chain)
        if self.streamer is not None:
            self.streamer.start(self.store.audit_sinks)
        self.dispatcher = Dispatcher(
            self.store,
            self.registry,
            self.policy(),
            mention_required=self.settings.mention_required,
            lease_seconds=self.settings.lease_seconds,
            notify=self.settings.notify,
            bulk=self.settings.bulk,
            **everywhere.configured(self.settings.offboarding),
        )
        for platform in self.platforms.values():
            self.dispatcher.attach(platform)
            if isinstance(platform, KeepsReadPositions):
                platform.use_read_positions(self.store.read_positions)
            await platform.start(self.dispatcher.submit)
        await self.dispatcher.resume()
        self._sweeper = asyncio.create_task(self.dispatcher.sweep(), name="sweeper")
        if self.settings.scim is not None:
            scim = platform_factories.import_with_extras("bot.scim.everywhere", SCIM_EXTRAS)
            self.scim = await scim.serve(self.settings.scim, self.store, self.dispatcher)
        self.started = True

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Stop receiving, let running commands finish (within the grace period), close."""
        self.started = False
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self.scim is not None:
            with contextlib.suppress(Exception):
                await self.scim.stop()
        for platform in self.platforms.values():
            with contextlib.suppress(Exception):
                await platform.stop()
        if self.dispatcher is not None:
            self.dispatcher.pause()
            try:
                await asyncio.wait_for(self.dispatcher.drain(), grace_seconds)
            except TimeoutError:
                log.warning("commands still running at stop; they resume on next start")
                await self.dispatcher.cancel()
        for platform in self.platforms.values():
            with contextlib.suppress(Exception):
                await platform.close()
        if self.streamer is not None:
            await self.streamer.stop()
        if self.store is not None:
            await self.store.close()
        if self.ops is not None:
            with contextlib.suppress(Exception):
                await self.ops.stop()

    async def __aenter__(self) -> App:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        async with self:
            feeds = [
                t for p in self.platforms.values() if (t := getattr(p, "feed", None)) is not None
            ]
            waiter = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait([waiter, *feeds], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            for task in done:
                if task is not waiter and task.exception() is not None:
                    raise RuntimeError("a platform's event loop died") from task.exception()
