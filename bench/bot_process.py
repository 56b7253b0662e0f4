"""kickbot in a process of its own (bench/host_child.py), as a host runs it: the benches that
must not share an event loop (or a core) with the doubles start it here."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

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
