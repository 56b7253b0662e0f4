"""A hiccup of the store is not a crash: SQLite locked by another process for longer than its
busy timeout, or PostgreSQL's connections terminated, between two targets of a job. The store
tries again; the job goes on in the same process; every target is removed exactly once; the
case closes done with exactly one reply; the audit chain holds the finished results."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
import pytest

from bot import audit
from bot.app import App
from bot.errors import StoreError
from bot.store import Store
from bot.store.database import BUSY_TIMEOUT_MS, parse_url
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, CAROL, DAVE, DESK, ConfigMaker, running, start_bot
from tests.stores import postgres_base, postgres_schema

REMOVE = r"/membership/remove$"
LEASE = 5.0
"""Short, so that a job abandoned by a crash would be resumed (and answered again) in the test."""
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")  # the write lock, as any writer of the file takes it
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def another_process_locks(
    path: Path,
) -> tuple[Callable[[], Awaitable[None]], list[asyncio.subprocess.Process]]:
    """A hiccup for ``_kick_three_with``: another process takes the SQLite file's write lock
    and holds it longer than the busy timeout (the store must try again); the list gets it."""
    held = BUSY_TIMEOUT_MS / 1000 + 2
    holder: list[asyncio.subprocess.Process] = []

    async def lock() -> None:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", HOLDER, str(path), str(held), stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdout is not None
        assert await proc.stdout.readline() == b"locked\n"
        holder.append(proc)

    return lock, holder


async def _kick_three_with(pod: SymphonyPod, app: App, hiccup: object) -> str:
    """/kick three people; while the first removal is in flight, cause the hiccup (an async
    callable); the one reply."""
    await pod.wait_until_listening()
    first = pod.hold_next("POST", REMOVE)
    pod.say(ALICE, DESK, "/kick @bob @dave @carol")
    await pod.wait_for_calls("POST", REMOVE, 1, timeout=20)
    assert callable(hiccup)
    await hiccup()
    first.set()
    reply = await pod.next_message(DESK, timeout=60)
    return reply.text


async def _check_once_and_done(pod: SymphonyPod, app: App, reply: str) -> None:
    assert "3 done" in reply, reply
    assert "Something went wrong" not in reply
    # Each line as the run that acted wrote it (a result waiting for the store is kept).
    for name in ("Bob Member", "Dave External", "Carol Owner"):
        assert f"Removed @{name}." in reply
    for who in (BOB, DAVE, CAROL):
        assert who not in pod.room(DESK).members
    assert len(pod.calls("POST", REMOVE)) == 3  # each target once
    # No second reply: nothing abandoned is resumed and answered again after its lease.
    await asyncio.sleep(LEASE * 2)
    assert len(pod.messages(DESK)) == 1
    assert app.store is not None
    (row,) = await app.store.audit(case=1)
    assert (row.state, row.outcome) == ("done", "report")
    assert [r["result"] for r in row.results] == ["done", "done", "done"]
    chain = await audit.export_rows(app.store.database, None, None)
    results = [r for r in chain if r["kind"] == "result" and r["case"] == 1]
    assert sorted(r["target_id"] for r in results) == sorted(str(u) for u in (BOB, DAVE, CAROL))
    assert {r["result"] for r in results} == {"done"}
    assert [r["outcome"] for r in chain if r["kind"] == "case"] == ["report"]
    assert await audit.verify(app.store.database, None) == (len(chain), None)


@pytest.mark.parametrize("retry_seconds", [None, 0.1], ids=["within-retries", "past-retries"])
async def test_sqlite_locked_by_another_process_between_targets(
    pod: SymphonyPod, settings_for: ConfigMaker, tmp_path: Path, retry_seconds: float | None
) -> None:
    """Past its retries (0.1 s: it gives up within one busy timeout), the store sets the job
    aside, not crashed but queued again with what it did, and this process resumes it once the
    store answers."""
    path = tmp_path / "kickbot.db"
    lock, holder = another_process_locks(path)
    async with running(pod, settings_for(store=f"sqlite:///{path}", lease_seconds=LEASE)) as app:
        assert app.store is not None
        if retry_seconds is not None:
            app.store.database.retry_seconds = retry_seconds
        reply = await _kick_three_with(pod, app, lock)
        (proc,) = holder
        assert await proc.wait() == 0  # it held the lock all along, and let it go
        await _check_once_and_done(pod, app, reply)


async def test_postgresql_connections_terminated_between_targets(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    base = postgres_base()
    async with postgres_schema(base) as url:
        app = await start_bot(settings_for(store=url, lease_seconds=LEASE))
        killed: list[int] = []

        async def terminate() -> None:
            assert app.store is not None
            # The store's connections, idle between units while the removal is in flight.
            pids = [c.info.backend_pid for c in app.store.database._idle]
            assert pids
            conninfo = parse_url(base).conninfo
            async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as admin:
                for pid in pids:
                    cur = await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                    assert (await cur.fetchone()) == (True,)
                    killed.append(pid)

        try:
            reply = await _kick_three_with(pod, app, terminate)
            assert killed
            await _check_once_and_done(pod, app, reply)
        finally:
            await app.stop()


async def test_a_store_that_never_answered_fails_at_once() -> None:
    """Before the store has answered once, an error is its configuration or its absence, not
    a hiccup: it is said at once when the store opens, not after minutes of trying again."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    with pytest.raises(StoreError, match="cannot open the store"):
        await Store.open("postgresql://kickbot@127.0.0.1:9/nowhere")  # nothing listens there
    assert loop.time() - began < 10
