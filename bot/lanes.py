"""Per-room lanes, their workers, and the leases that keep a job to one instance.

A room has two lanes: "change" (commands that change something, one at a time and in order)
and "control" (commands that change nothing: /jobs, /case, /cancel, /confirm, /help), which
are answered while a long job holds the change lane. Each lane of each room has its own
worker task, so a slow room never delays another. A worker claims a job with a lease (renewed
while it runs, so another instance takes it over only once this one is gone) and hands it to
the job runner; on a shutdown the job goes back to the queue, with its journal, to be resumed
by the next start or by another instance. This module knows nothing of what a job does.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Container
from functools import partial
from typing import NamedTuple

import structlog

from bot import telemetry
from bot.lookups import Lookups
from bot.model import Invocation
from bot.store import Job, Store

log = structlog.get_logger(__name__)

LaneKey = tuple[str, str, str]
"""(platform, room id, lane)."""
JobRunner = Callable[[Job, Lookups | None], Awaitable[None]]
"""Run a claimed job to its end (reply included), with the lookups begun for it if any."""
LookAhead = Callable[[Invocation], Lookups | None]
"""Begin a command's first lookups while it is being recorded (None: nothing to begin)."""


class Handoff(NamedTuple):
    """A job claimed with its command's record, for the worker started for it."""

    job: Job
    lookups: Lookups | None


def _hand_over(
    handoff: asyncio.Future[Handoff | None],
    ahead: Lookups | None,
    recording: asyncio.Future[tuple[int | None, Job | None]],
) -> None:
    """Give the worker started for a command the job claimed with its record: with the
    lookups begun for it if it is that command's job (an older job of the lane may come
    first); None if nothing was claimed or the record failed (the worker claims for itself)."""
    handed = None
    if not recording.cancelled() and recording.exception() is None:
        job_id, job = recording.result()
        if job is not None:
            handed = Handoff(job, ahead if job.id == job_id else None)
    if ahead is not None and (handed is None or handed.lookups is None):
        ahead.drop()
    if not handoff.done():
        handoff.set_result(handed)


class Lanes:
    def __init__(
        self, store: Store, lease_seconds: float, run: JobRunner, look_ahead: LookAhead
    ) -> None:
        self._store = store
        self._lease = lease_seconds
        self._run = run
        self._look_ahead = look_ahead
        self._stopping = False
        self._instance = uuid.uuid4().hex[:12]
        self._workers: dict[LaneKey, asyncio.Task[None]] = {}
        self._pending: set[LaneKey] = set()

    @property
    def stopping(self) -> bool:
        """Shutting down: no new job is taken, running ones stop after the call in flight."""
        return self._stopping

    # --- inside the event callback: record and return ------------------------------------------

    async def record(self, inv: Invocation, name: str, lane: str) -> int | None:
        """Record the command ``name`` durably on its room's ``lane`` and wake that lane's
        worker; its case number, or None for an event recorded before (a redelivery). Raises
        StoreError when it cannot be recorded (the platform should redeliver)."""
        key = (inv.platform, inv.room.id, lane)
        worker = self._workers.get(key)
        if self._stopping or (worker is not None and not worker.done()):
            job_id = await self._store.record(inv, name, lane=lane)  # StoreError: redeliver
            if job_id is not None:
                self.wake(*key)
            return job_id
        # No worker on this lane of the room: record and claim in one transaction, and
        # hand the job to a worker started now (before the await, so that a command
        # arriving meanwhile finds it and leaves the claiming to it). The command's first
        # lookups are begun now too, so they are under way while the record commits.
        ahead = self._look_ahead(inv)
        handoff: asyncio.Future[Handoff | None] = asyncio.get_running_loop().create_future()
        self._start_worker(key, handoff)
        recording = self._store.record_and_claim(inv, name, lane, self._instance, self._lease)
        recording.add_done_callback(partial(_hand_over, handoff, ahead))
        # Shielded: if this callback is cancelled (a stop), the record still lands and its
        # job still reaches the worker; StoreError is raised here.
        job_id, _ = await asyncio.shield(recording)
        return job_id

    # --- workers ------------------------------------------------------------------------------

    def wake(self, platform: str, room: str, lane: str = "change") -> None:
        if self._stopping:  # e.g. a scheduled job's timer firing after shutdown began
            return
        key = (platform, room, lane)
        # Marked before the check: a worker that just found no job looks at the mark before
        # it exits (no await in between), so a job recorded meanwhile is never stranded.
        self._pending.add(key)
        task = self._workers.get(key)
        if task is None or task.done():
            self._start_worker(key)

    def _start_worker(
        self, key: LaneKey, handoff: asyncio.Future[Handoff | None] | None = None
    ) -> None:
        _, room, lane = key
        self._workers[key] = asyncio.create_task(self._work(key, handoff), name=f"{lane}:{room}")

    async def resume(self, platforms: Container[str]) -> None:
        """Pick up jobs left queued (or abandoned by a dead instance) in the store, on the
        ``platforms`` this instance serves."""
        for platform, room, lane in await self._store.runnable_rooms():
            if platform in platforms and lane != "cli":
                self.wake(platform, room, lane)

    async def sweep(self, resume: Callable[[], Awaitable[None]]) -> None:
        """Forever: ``resume`` when jobs whose instance died (their lease ran out) or
        scheduled jobs (``--at``) may be due."""
        while True:
            wait = self._lease / 2
            try:
                due = await self._store.next_due()
            except Exception:  # the store is unavailable: look again later
                log.exception("could not look for due jobs")
                due = None
            if due is not None:
                wait = max(0.0, min(wait, due - time.time()))
            await asyncio.sleep(wait)
            try:
                await resume()
            except Exception:
                log.exception("could not resume jobs; trying again later")

    async def drain(self) -> None:
        """Wait for every worker to run out of jobs."""
        while tasks := [t for t in self._workers.values() if not t.done()]:
            await asyncio.gather(*tasks, return_exceptions=True)

    def pause(self) -> None:
        """Shutting down: take no new job, and stop running ones after the call in flight.
        A stopped job goes back to the queue with its journal, so the next start (or another
        instance) resumes it where it stopped."""
        self._stopping = True

    async def cancel(self) -> None:
        for task in self._workers.values():
            task.cancel()
        await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def _work(
        self, key: LaneKey, handoff: asyncio.Future[Handoff | None] | None = None
    ) -> None:
        """Run the lane's jobs in the room one after another, until none is left. ``handoff``:
        the first job, claimed when its command was recorded (None: nothing claimed then)."""
        platform_name, room, lane = key
        try:
            # Shielded: the recording side resolves it whatever happens to this worker.
            handed = await asyncio.shield(handoff) if handoff is not None else None
        except asyncio.CancelledError:
            # Stopped while the command is being recorded (its lookups may be under way
            # already): once it is, its job goes back to the queue, for the next start to run
            # at once rather than when its lease runs out.
            assert handoff is not None
            await self._hand_back(await handoff)
            raise
        if handed is not None and self._stopping:
            await self._hand_back(handed)  # shutting down: back to the queue
            return
        given, ahead = (handed.job, handed.lookups) if handed is not None else (None, None)
        while not self._stopping:
            self._pending.discard(key)
            try:
                job = given or await self._store.claim(
                    platform_name, room, self._instance, self._lease, lane
                )
            except Exception as exc:
                if not self._store.database.is_transient(exc):
                    raise
                # The store is unavailable: the sweep wakes this room again later.
                log.warning("could not claim a job", room=room, lane=lane, error=str(exc))
                return
            given = None
            if job is None:
                if key in self._pending:
                    continue
                return
            if job.taken_over:
                log.info("took over a job whose lease had lapsed", case=job.id, lane=lane)
                telemetry.observer().job_taken_over(platform_name)
            renew = asyncio.create_task(self._renew(job.id))
            try:
                await self._run(job, ahead)
                if lane == "control":  # a /confirm may have queued a change job again
                    self.wake(platform_name, room, "change")
            except asyncio.CancelledError:
                # Stopping: hand the job back so the next start (or another instance) runs it;
                # its journal makes that run skip targets already done.
                await asyncio.shield(self._store.release(job.id))
                raise
            finally:
                ahead = None
                renew.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renew

    async def _hand_back(self, handed: Handoff | None) -> None:
        if handed is not None:
            if handed.lookups is not None:
                handed.lookups.drop()
            await self._store.release(handed.job.id)

    async def _renew(self, job_id: int) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await self._store.renew(job_id, self._lease)
            except Exception as exc:  # a store unavailable for long: the next renewal may do
                log.warning("could not renew a job's lease", case=job_id, error=str(exc))
