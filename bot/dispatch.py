"""From a received message to a reply: the face the platforms and the app see.

``submit`` runs inside the platform's event callback: it only recognises a command, records it
durably and wakes the room's worker, so the callback returns fast (``bot/lanes.py``: per-room
lanes, workers and leases). Each worker runs its jobs through the fixed steps of
``bot/pipeline/`` (parse -> policy -> room -> targets -> rank -> plan -> run -> reply) and
never raises into an adapter.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

import structlog

from bot import telemetry
from bot.commands import Registry
from bot.entitlement import Policy
from bot.everywhere.identities import IdentityMap
from bot.everywhere.reach import Reach, Retry
from bot.lanes import Lanes
from bot.lookups import Lookups
from bot.model import Invocation
from bot.outcome import Outcome
from bot.pacing import Clock, Sleep
from bot.pipeline import parse, plan, steps
from bot.pipeline.desk import Desk
from bot.pipeline.parse import TYPO_CUTOFF, nearest_command, split_command
from bot.platform import Platform
from bot.settings import BulkSettings, NotifySettings
from bot.store import Job, Store

# Where adapters and tests have always found them; they live in the parse step.
__all__ = ["TYPO_CUTOFF", "Dispatcher", "nearest_command", "split_command"]

log = structlog.get_logger(__name__)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        policy: Policy,
        *,
        mention_required: bool = False,
        lease_seconds: float = 300.0,
        notify: NotifySettings | None = None,
        bulk: BulkSettings | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Clock = time.monotonic,
        identities: IdentityMap | None = None,
        retry: Retry | None = None,
    ):
        """``identities`` and ``retry``: how an all-platform command finds a person on each
        platform, and tries again one that is down (``bot.everywhere``)."""
        self._mention_required = mention_required
        self._platforms: dict[str, Platform] = {}
        reach = Reach(self._platforms, identities or IdentityMap(), retry or Retry(), sleep)
        self._lanes = Lanes(store, lease_seconds, self._run, self._look_ahead)
        self._desk = Desk.build(
            store,
            registry,
            policy,
            bulk=bulk or BulkSettings(),
            notify=notify or NotifySettings(),
            sleep=sleep,
            monotonic=monotonic,
            stopping=lambda: self._lanes.stopping,
            reach=reach,
        )
        self.on_finished: list[Callable[[int, Outcome], None]] = []
        """Called with (case id, outcome) after each command's reply (tests, the demo)."""
        self.on_ignored: list[Callable[[Invocation], None]] = []
        """Called with each message that reached kickbot and is not for it (the demo)."""

    def attach(self, platform: Platform) -> None:
        self._platforms[platform.name] = platform

    @property
    def platforms(self) -> Mapping[str, Platform]:
        """The platforms attached, by name."""
        return self._platforms

    async def record(self, inv: Invocation, command: str) -> int | None:
        """Record ``command`` as asked in ``inv``'s room from outside chat (``bot.everywhere``)
        and wake the room's worker: its case number, or None if ``inv``'s event was recorded
        before. Raises StoreError when it cannot be recorded."""
        return await self._lanes.record(inv, command, "change")

    async def case_of(self, inv: Invocation) -> int:
        """The case recorded for ``inv``'s event (StoreError if there is none)."""
        return await self._desk.store.case_of_event(inv.platform, inv.event_id)

    # --- inside the event callback: record and return ------------------------------------------

    async def submit(self, inv: Invocation) -> None:
        """Record a command for its room's worker (StoreError: not recorded, redeliver); a
        message that is not for kickbot is left alone: nothing recorded, nothing said."""
        registry = self._desk.registry
        platform = self._platforms[inv.platform]
        name = parse.recognised(inv, platform, registry, mention_required=self._mention_required)
        if name is None:
            for callback in self.on_ignored:
                callback(inv)
            return
        command = registry.get(name)
        # Commands that change nothing (/jobs, /cancel, /confirm, /help) have their own lane,
        # so they are answered while a long job holds the room's change lane.
        lane = "control" if command is not None and not command.mutates else "change"
        job_id = await self._lanes.record(inv, name, lane)
        if job_id is None:
            log.info("duplicate event ignored", platform=inv.platform, event_id=inv.event_id)
            return
        log.info("command recorded", case=job_id, command=name, room=inv.room.id)
        telemetry.observer().command_received(inv.platform, name if command else "unknown")

    # --- the lanes' workers -------------------------------------------------------------------

    def wake(self, platform: str, room: str, lane: str = "change") -> None:
        self._lanes.wake(platform, room, lane)

    async def resume(self) -> None:
        """Pick up jobs left queued (or abandoned by a dead instance) in the store, and close
        plans whose confirmation time has run out."""
        await plan.expire(self._desk)
        await self._lanes.resume(self._platforms)

    async def sweep(self) -> None:
        """Forever: pick up jobs whose instance died (their lease ran out) and scheduled jobs
        that fell due (``--at``)."""
        await self._lanes.sweep(self.resume)

    async def drain(self) -> None:
        """Wait for every worker to run out of jobs."""
        await self._lanes.drain()

    @property
    def stopping(self) -> bool:
        """Paused for a shutdown (``pause``): running jobs stop after the call in flight."""
        return self._lanes.stopping

    def pause(self) -> None:
        """Shutting down: take no new job, and stop running ones after the call in flight.
        A stopped job goes back to the queue with its journal, so the next start (or another
        instance) resumes it where it stopped."""
        self._lanes.pause()

    async def cancel(self) -> None:
        await self._lanes.cancel()

    # --- the pipeline -------------------------------------------------------------------------

    async def execute(self, job: Job, platform: Platform, ahead: Lookups | None = None) -> Outcome:
        """Run the job's command, steps parse to run (no reply; the command line's offboarding
        answers at the terminal). ``ahead``: its lookups, begun while it was recorded."""
        return await steps.execute(self._desk, job, platform, ahead)

    async def _run(self, job: Job, ahead: Lookups | None) -> None:
        platform = self._platforms[job.invocation.platform]
        await steps.handle(
            self._desk, job, platform, ahead, wake=self.wake, finished=self.on_finished
        )

    def _look_ahead(self, inv: Invocation) -> Lookups | None:
        return steps.look_ahead(self._desk, inv, self._platforms[inv.platform])
