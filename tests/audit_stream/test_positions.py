"""Each sink's position in the store (``bot.store.audit_sinks``) on SQLite and PostgreSQL, and
two streamers sharing one store: one sends, the other takes over when it stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.audit import Chain, Record
from bot.store import Store
from bot.store.audit_sinks import AuditSinkPositions, holder_id
from bot.store.connection import Connection
from bot.streaming import streamer as streamer_module
from bot.streaming.settings import SplunkHecSink
from bot.streaming.streamer import Streamer
from tests.audit_stream.kit import append, until
from tests.audit_stream.receivers import HecReceiver

TOKEN = "position-test-token"


async def test_a_position_moves_forward_for_its_holder_only(store_url: str) -> None:
    store = await Store.open(store_url)
    try:
        await append(store_url, [{"n": n} for n in range(5)])
        sinks: AuditSinkPositions = store.audit_sinks
        assert await sinks.claim("a", "me", 30) == 0
        assert await sinks.claim("a", "other", 30) is None  # held, leased
        assert await sinks.claim("late", "me", 30, from_end=True) == 5
        assert [r.seq for r in await sinks.records_after(0, 3)] == [1, 2, 3]
        assert [r.seq for r in await sinks.records_after(3, 10)] == [4, 5]
        assert await sinks.failed("a", "me", "HTTP 503: busy", 30)
        head, rows = await sinks.positions()
        assert head == 5
        a = rows[0]
        assert (a.name, a.acknowledged, a.error, a.sent_at) == ("a", 0, "HTTP 503: busy", None)
        assert await sinks.acknowledge("a", "me", 3, 30)
        assert not await sinks.acknowledge("a", "other", 5, 30)  # not its holder: no write
        assert await sinks.acknowledge("a", "me", 2, 30)  # never backwards
        _, (a, late) = await sinks.positions()
        assert (a.acknowledged, a.error, late.acknowledged) == (3, None, 5)
        assert a.sent_at is not None
        await sinks.release("a", "me")
        assert await sinks.claim("a", "other", 30) == 3  # released: taken over at once
        assert await sinks.claim("a", "me", -1) is None
        assert await sinks.claim("a", "other", -1) == 3  # its own lease, renewed (lapsed now)
        assert await sinks.claim("a", "me", 30) == 3  # a lapsed lease is taken over
    finally:
        await store.close()


async def test_a_dead_local_holder_is_not_waited_for(store_url: str) -> None:
    store = await Store.open(store_url)
    try:
        proc = await asyncio.create_subprocess_exec("true")
        await proc.wait()
        dead = holder_id().split("/")
        dead[1] = str(proc.pid)  # a process of this host that has ended
        assert await store.audit_sinks.claim("a", "/".join(dead), 300) == 0
        assert await store.audit_sinks.claim("a", holder_id(), 300) == 0
        assert await store.audit_sinks.claim("a", "elsewhere/1/x", 300) is None
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def instances(url: str, *streamers: Streamer) -> AsyncIterator[list[Store]]:
    """A store opened on ``url`` for each streamer, as instances of kickbot sharing one store
    have (each streamer is started on its own store's positions by the test); when done, the
    streamers stop at once, then the stores close."""
    stores = [await Store.open(url) for _ in streamers]
    try:
        yield stores
    finally:
        for streamer in streamers:
            await streamer.stop(0)
        for store in stores:
            await store.close()


async def test_two_instances_send_each_record_once(store_url: str) -> None:
    hec = HecReceiver(TOKEN)
    sink = SplunkHecSink.model_validate({
        "type": "splunk_hec", "name": "splunk", "url": hec.url, "token": TOKEN,
        "poll_seconds": 0.2, "batch_size": 7,
    })  # fmt: skip
    first, second = Streamer([sink]), Streamer([sink])
    async with hec, instances(store_url, first, second) as (one, two):
        first.start(one.audit_sinks)
        second.start(two.audit_sinks)
        for start in range(0, 60, 6):
            await append(store_url, [{"n": n} for n in range(start, start + 6)])
            first.appended([])
            second.appended([])
        await until(lambda: len(hec.events) >= 60, what="every record")
        await asyncio.sleep(0.5)
        assert hec.seqs() == list(range(1, 61))
        holders = [s for s in (first, second) if s.streams[0].acknowledged is not None]
        assert len(holders) == 1
        await holders[0].stop()  # lets the other take over at once
        await append(store_url, [{"n": 60}])
        await until(lambda: len(hec.events) >= 61, within=10, what="the other instance")
        assert hec.seqs() == list(range(1, 62))


async def test_an_idle_holder_keeps_its_lease_however_long_it_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holder that waits long between polls still renews its lease in time: another
    instance never takes the sink over under it, so a record woken after the wait is sent
    once, by one of them."""
    monkeypatch.setattr(streamer_module, "LEASE_SECONDS", 0.6)
    url = f"sqlite:///{tmp_path}/kickbot.db"
    hec = HecReceiver(TOKEN)
    fields = {"type": "splunk_hec", "name": "splunk", "url": hec.url, "token": TOKEN,
              "timeout_seconds": 0.3}  # fmt: skip
    patient = Streamer([SplunkHecSink.model_validate({**fields, "poll_seconds": 600})])
    eager = Streamer([SplunkHecSink.model_validate({**fields, "poll_seconds": 0.1})])
    async with hec, instances(url, patient, eager) as (one, two):
        patient.start(one.audit_sinks)
        await until(lambda: patient.streams[0].acknowledged is not None, what="a claim")
        eager.start(two.audit_sinks)
        await asyncio.sleep(2.0)  # more than twice the lease (0.6 s + the 0.3 s time limit)
        await append(url, [{"n": n} for n in range(5)])
        patient.appended([])
        eager.appended([])
        await until(lambda: len(hec.events) >= 5, what="every record")
        await asyncio.sleep(0.5)
        assert hec.seqs() == [1, 2, 3, 4, 5]
        assert eager.streams[0].acknowledged is None  # never held the sink


async def test_an_append_wakes_the_stream_without_polling(tmp_path: Path) -> None:
    """The chain tells the streamer of each append it commits (``Sink.appended``): the record
    goes out at once, long before the next poll."""
    url = f"sqlite:///{tmp_path}/kickbot.db"
    hec = HecReceiver(TOKEN)
    await hec.start()
    sink = SplunkHecSink.model_validate({
        "type": "splunk_hec", "name": "splunk", "url": hec.url, "token": TOKEN,
        "poll_seconds": 600,
    })  # fmt: skip
    streamer = Streamer([sink])
    chain = Chain(None, [streamer])
    store = await Store.open(url, chain)
    try:
        streamer.start(store.audit_sinks)
        await asyncio.sleep(0.5)  # the stream has found nothing to send and waits
        for n in range(3):

            def note(conn: Connection, n: int = n) -> list[Record]:
                return chain.append(conn, 0, [("note", {"n": n})])

            chain.published(await store.database.run(note, atomic=True))
            await until(lambda: len(hec.events) == n + 1, within=5, what="a woken stream")  # noqa: B023
        assert hec.seqs() == [1, 2, 3]
    finally:
        await streamer.stop(0)
        await store.close()
        await hec.stop()
