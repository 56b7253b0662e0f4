"""kickbot in a process of its own (bench/host_child.py), as a host runs it: the benches that
must not share an event loop (or a core) with the doubles start it here.

In a latency bench, kickbot runs as it would beside the real service: the double's work is not
done on kickbot's event loop; the direct path's client is in a process of its own too
(bench/direct_child.py), so both cross the same process boundary to reach the double. Each
iteration waits for kickbot to close the case before the direct path runs. A second kickbot,
alike but for its store's commits not being flushed to disk one by one (``unflushed``), takes
its turn beside the first: the difference is what durable records cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from bench_common import ClosedCases

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The bench's environment for the child, without AWS settings, kickbot's sources first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra or {})
    env["PYTHONPATH"] = str(REPO)
    return env


@contextlib.asynccontextmanager
async def bot_process(
    config: Path,
    env: dict[str, str] | None = None,
    *,
    python: str = sys.executable,
    grace_seconds: float = 2.0,
    script: Path = HERE / "host_child.py",
) -> AsyncIterator[tuple[asyncio.subprocess.Process, dict[str, Any]]]:
    """kickbot started on the settings file ``config`` and its ready report (the modules it
    loaded); stopped at the end (a line on its stdin; commands still running get
    ``grace_seconds``, then are cancelled, as at a restart). ``script``: another program run the
    same way (bench/host_direct.py)."""
    child = await asyncio.create_subprocess_exec(
        python,
        str(script),
        str(config),
        str(grace_seconds),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=env if env is not None else child_env(),
    )
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 120)
        if not line:
            raise RuntimeError(f"kickbot exited before it was ready ({await child.wait()})")
        yield child, json.loads(line)
    finally:
        if child.returncode is None:
            child.stdin.write(b"stop\n")
            await child.stdin.drain()
            await asyncio.wait_for(child.wait(), 60 + grace_seconds)


class Apart:
    """kickbot running in its own process for a latency bench: where it listens, and a count of
    the cases it has closed (each printed by the child as it closes)."""

    def __init__(self, child: asyncio.subprocess.Process, report: dict[str, Any]):
        self.listen: dict[str, str] = report.get("listen", {})
        self.closed = ClosedCases()
        self._reader = asyncio.create_task(self._read(child))

    async def _read(self, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        while line := await child.stdout.readline():
            if "closed" in json.loads(line):
                self.closed.note()
        self.closed.wake()  # the child is gone

    async def reach(self, count: int) -> None:
        """Wait until ``count`` cases have closed (the bot is at rest)."""
        await self.closed.reach(count, alive=lambda: not self._reader.done())


@contextlib.asynccontextmanager
async def kickbot_apart(
    data: Mapping[str, Any], workdir: Path, env: Mapping[str, str] | None = None
) -> AsyncIterator[Apart]:
    """kickbot on the settings ``data`` in a process of its own (the benches' doubles stay in
    this one, as a platform's servers are elsewhere than the bot); ``env``: more variables."""
    config = workdir / "kickbot-apart.json"
    config.write_text(json.dumps(data))
    environment = child_env({**(env or {}), "KICKBOT_BENCH_CLOSED": "1"})
    async with bot_process(config, environment) as (child, report):
        apart = Apart(child, report)
        try:
            yield apart
        finally:
            apart._reader.cancel()


class Direct:
    """The direct path in its own process (bench/direct_child.py): ``await run(plan)`` makes
    one plan's calls there and returns how long they took (ms, timed in that process)."""

    def __init__(self, child: asyncio.subprocess.Process):
        self._child = child

    async def run(self, plan: Mapping[str, Any]) -> float:
        assert self._child.stdin is not None
        assert self._child.stdout is not None
        self._child.stdin.write(json.dumps(plan).encode() + b"\n")
        await self._child.stdin.drain()
        line = await asyncio.wait_for(self._child.stdout.readline(), 60)
        if not line:
            raise RuntimeError(f"the direct path's process ended ({await self._child.wait()})")
        return float(json.loads(line)["ms"])


@contextlib.asynccontextmanager
async def direct_apart(
    platform: str,
    data: Mapping[str, Any],
    workdir: Path,
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[Direct]:
    """The direct path for ``platform`` (its section of the settings ``data``) in a process of
    its own, as kickbot is in the bot path."""
    config = workdir / "direct-apart.json"
    config.write_text(json.dumps(data))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "direct_child.py"),
        platform,
        str(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env=child_env(env),
    )
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        if not await asyncio.wait_for(child.stdout.readline(), 120):
            raise RuntimeError(f"the direct path's process ended ({await child.wait()})")
        yield Direct(child)
    finally:
        if child.returncode is None:
            child.stdin.close()
            await asyncio.wait_for(child.wait(), 30)
