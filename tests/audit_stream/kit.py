"""What the audit stream tests share: records appended as another process would, the chain's
end, waiting for a receiver (and for it to be away), and ``kickbot audit stream --status`` run as
a command."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot import audit
from bot.store import Store
from bot.store.database import Database
from tests.kickbot_process import Running
from tests.ops.process import kickbot_run


async def append(store_url: str, notes: Sequence[dict[str, Any]], case: int = 0) -> None:
    """Records appended to the chain by another process (as another instance, or kickbot
    offboard, would): ``kickbot run`` finds them by polling."""
    store = await Store.open(store_url)  # made and migrated if new
    try:
        entries = [("note", n) for n in notes]
        await store.database.run(lambda conn: audit.append(conn, case, entries), atomic=True)
    finally:
        await store.close()


async def chain(store_url: str) -> list[tuple[int, str]]:
    """Every record's (seq, hash), in order."""
    db = Database.connect(store_url)
    try:
        rows = await db.run(lambda c: c.rows("SELECT seq, hash FROM audit_log ORDER BY seq"))
    finally:
        await db.close()
    return [(int(r["seq"]), str(r["hash"])) for r in rows]


async def acknowledged(store_url: str, sink: str) -> int:
    """The sink's position as the store holds it (0: none yet)."""
    db = Database.connect(store_url)
    try:
        found = await db.run(
            lambda c: c.value("SELECT acknowledged FROM audit_sinks WHERE name = :n", {"n": sink})
        )
    finally:
        await db.close()
    return int(found or 0)


async def stored(store_url: str, sink: str, seq: int, within: float = 30) -> None:
    """Wait until the store holds ``sink``'s position at ``seq`` (its acknowledgement written:
    stopping a receiver now cannot make kickbot send those records again)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (found := await acknowledged(store_url, sink)) < seq:
        if loop.time() > deadline:
            raise TimeoutError(f"{sink} acknowledged #{found}, never #{seq}")
        await asyncio.sleep(0.05)


async def until(check: Callable[[], bool], within: float = 30, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise TimeoutError(f"waited {within} s for {what or check}")
        await asyncio.sleep(0.05)


class Receiver(Protocol):
    async def stop(self) -> None: ...

    def seqs(self) -> list[int]:
        """The sequence numbers of the records taken, in arrival order."""
        ...


async def taken_then_away(store_url: str, sink: str, receiver: Receiver, total: int) -> None:
    """Five records appended and taken by ``receiver`` as ``sink`` (their position stored, so
    none is sent again), then ``receiver`` stopped and records up to #``total`` appended while
    it is away."""
    await append(store_url, [{"n": n} for n in range(5)])
    await until(lambda: len(receiver.seqs()) == 5, what="the first records")
    await stored(store_url, sink, 5)
    await receiver.stop()
    await append(store_url, [{"n": n} for n in range(5, total)])


def status(
    config: dict[str, Any], tmp_path: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "status.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "bot", "audit", "stream", "--status", "--config", str(path),
         *options],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def ready_run(config: dict[str, Any], tmp_path: Path) -> AsyncIterator[Running]:
    """``kickbot run`` on ``config`` as a real process, once it answers ``/readyz``."""
    async with kickbot_run(config, tmp_path) as bot:
        await bot.wait_for("/readyz", 200)
        yield bot
