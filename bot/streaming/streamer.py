"""The streamer ``kickbot run`` starts when ``audit_sinks`` are configured: one task per sink
sends the records after the sink's acknowledged position, in order, in batches, and stores the
new position once the sink has acknowledged a batch.

Appending never waits for a sink: the streamer is one of the chain's sinks (``bot.audit.Sink``)
and ``appended`` only wakes its tasks; it also looks for records every ``poll_seconds`` (those
another process appended). A sink that fails is tried again with capped, jittered exponential
backoff (one that refuses, slowly); its records wait in the store.

A record is sent twice only when the process stops between a sink's acknowledgement and the
position's write (one UPDATE, right after the answer), or when a sink that took a batch could
not say so (a timeout): every record carries its seq and hash, so a receiver can drop the
copy."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Sequence

import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from bot.audit.links import Head, Record
from bot.store.audit_sinks import AuditSinkPositions, holder_id
from bot.streaming.sender import Sender, SinkFailure, sender_for
from bot.streaming.settings import SplunkHecSink, SyslogSink

log = structlog.get_logger(__name__)

LEASE_SECONDS = 30.0
"""An instance holds a sink this long past its last write (another one takes it over then)."""
FIRST_RETRY_SECONDS = 1.0

Settings = SyslogSink | SplunkHecSink


class _Lost(Exception):
    """Another instance holds the sink now."""


class SinkStream:
    """One sink's task: claim the sink, then send what it has not acknowledged."""

    def __init__(self, sink: Settings, sender: Sender, positions: AuditSinkPositions, holder: str):
        self.sink = sink
        self.sender = sender
        self.positions = positions
        self.holder = holder
        self.wake = asyncio.Event()
        self.moved = asyncio.Event()
        """Set at each acknowledgement (``Streamer.stop`` waits on it)."""
        self.acknowledged: int | None = None
        """The last sequence number acknowledged through this process (None: not held)."""
        self._fast = wait_exponential_jitter(
            initial=FIRST_RETRY_SECONDS, max=sink.retry_max_seconds
        )
        self.lease = LEASE_SECONDS + sink.timeout_seconds
        """How long a claim or an acknowledgement holds the sink: long enough for one send
        to run out its time limit while the lease still stands."""
        self.renew_every = min(sink.poll_seconds, LEASE_SECONDS / 3)
        """The lease is renewed this often, idle or not, so it never lapses under a holder."""

    async def run(self) -> None:
        while True:
            try:
                acknowledged = await self._claim()
                await self._stream(acknowledged)
            except _Lost:
                log.info("audit sink taken over by another instance", sink=self.sink.name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store failing beyond its own retries
                log.error("audit sink stopped; starting again", sink=self.sink.name,
                          error=f"{type(exc).__name__}: {exc}")  # fmt: skip
            self.acknowledged = None
            await self._sleep(self.sink.poll_seconds)

    async def _claim(self) -> int:
        while True:
            found = await self.positions.claim(
                self.sink.name, self.holder, self.lease, from_end=self.sink.start_at == "end"
            )
            if found is not None:
                self.acknowledged = found
                return found
            await self._sleep(self.sink.poll_seconds)

    async def _stream(self, acknowledged: int) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            if loop.time() - renewed >= self.renew_every:  # before any send, after any wait
                if await self.positions.claim(self.sink.name, self.holder, self.lease) is None:
                    raise _Lost
                renewed = loop.time()
            self.wake.clear()  # an append from here on wakes the wait below
            batch = await self.positions.records_after(acknowledged, self.sink.batch_size)
            if not batch:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.renew_every):
                        await self.wake.wait()
                continue
            if batch[0].seq != acknowledged + 1:
                log.warning("audit records pruned before this sink got them",
                            sink=self.sink.name, first=acknowledged + 1,
                            last=batch[0].seq - 1)  # fmt: skip
            await self._send(batch)
            last = batch[-1].seq
            if not await self.positions.acknowledge(self.sink.name, self.holder, last, self.lease):
                raise _Lost
            acknowledged = self.acknowledged = last
            self.moved.set()
            renewed = loop.time()

    async def _send(self, batch: Sequence[Record]) -> None:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(SinkFailure),
            wait=self._wait,
            before_sleep=self._failed,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await self._send_once(batch)

    async def _send_once(self, batch: Sequence[Record]) -> None:
        try:
            async with asyncio.timeout(self.sink.timeout_seconds):
                await self.sender.send(batch)
        except SinkFailure:
            raise
        except TimeoutError:
            raise SinkFailure(f"no answer within {self.sink.timeout_seconds:g} s") from None
        except Exception as exc:  # a sender's unforeseen error: tried again, never lost
            raise SinkFailure(f"{type(exc).__name__}: {exc}") from None

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, SinkFailure) and failure.refused:
            return self.sink.refused_retry_seconds * random.uniform(0.9, 1.1)
        return float(self._fast(state))

    async def _failed(self, state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        error = str(failure)
        refused = isinstance(failure, SinkFailure) and failure.refused
        report = log.error if refused else log.warning
        report("audit sink refused the records; trying again later" if refused
               else "audit sink unavailable; trying again", sink=self.sink.name, error=error,
               attempt=state.attempt_number, wait_s=round(wait, 1))  # fmt: skip
        if not await self.positions.failed(self.sink.name, self.holder, error, wait + self.lease):
            raise _Lost

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.wake.wait()
        self.wake.clear()


class Streamer:
    """Every configured sink's stream; a sink of the audit chain (``appended`` wakes them)."""

    def __init__(self, sinks: Sequence[Settings]):
        self.sinks = list(sinks)
        self.streams: list[SinkStream] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._last_appended = 0

    def appended(self, records: Sequence[Record]) -> None:
        if records:
            self._last_appended = max(self._last_appended, records[-1].seq)
        for stream in self.streams:
            stream.wake.set()

    def started(self, head: Head | None) -> None:
        """Nothing to do: the chain starts when the store opens, before ``start``, and each
        stream reads from its own position when it starts."""

    def start(self, positions: AuditSinkPositions) -> None:
        holder = holder_id()
        for sink in self.sinks:
            stream = SinkStream(sink, sender_for(sink), positions, holder)
            self.streams.append(stream)
            task = asyncio.create_task(stream.run(), name=f"audit-sink-{sink.name}")
            self._tasks.append(task)
        log.info("audit streaming", sinks=[s.name for s in self.sinks])

    async def stop(self, flush_seconds: float = 5.0) -> None:
        """Give the sinks up to ``flush_seconds`` to acknowledge what this process appended,
        then stop, letting another instance take the sinks over at once."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_seconds):
                for stream in self.streams:
                    while (
                        stream.acknowledged is not None
                        and stream.acknowledged < self._last_appended
                    ):
                        stream.moved.clear()
                        await stream.moved.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for stream in self.streams:
            with contextlib.suppress(Exception):
                await stream.positions.release(stream.sink.name, stream.holder)
            with contextlib.suppress(Exception):
                await stream.sender.close()
