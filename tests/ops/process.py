"""`kickbot run` as a real process with the operations endpoint (``http:``) configured."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import yaml


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Running:
    """A ``kickbot run`` process, its operations endpoint and its output (in a file)."""

    def __init__(self, proc: asyncio.subprocess.Process, base: str, log: Path):
        self.proc = proc
        self.base = base
        self.log = log

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base, timeout=30) as client:
            return await client.get(path)

    async def wait_for(self, path: str, status: int, within: float = 60) -> httpx.Response:
        """Poll ``path`` until it answers ``status``; the last answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        last: httpx.Response | None = None
        while True:
            if self.proc.returncode is not None:
                raise AssertionError(f"kickbot exited: {self.output()}")
            try:
                last = await self.get(path)
                if last.status_code == status:
                    return last
            except httpx.TransportError:
                pass
            if loop.time() > deadline:
                seen = f"{last.status_code} {last.text!r}" if last is not None else "nothing"
                raise TimeoutError(f"{path} never answered {status}; last: {seen}")
            await asyncio.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop(self) -> int:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 60)
        return self.proc.returncode or 0


@contextlib.asynccontextmanager
async def kickbot_run(config: dict[str, Any], tmp_path: Path) -> AsyncIterator[Running]:
    """``kickbot run`` on ``config`` with ``http:`` on a free port; killed if still running
    when the block ends."""
    port = free_port()
    config = {**config, "http": {"listen_host": "127.0.0.1", "listen_port": port}}
    path = tmp_path / "kickbot.yaml"
    path.write_text(yaml.safe_dump(config))
    log = tmp_path / "kickbot.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(path), stdout=out, stderr=out
        )
    running = Running(proc, f"http://127.0.0.1:{port}", log)
    try:
        yield running
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
