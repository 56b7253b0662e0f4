"""`kickbot run` as a real process with the SCIM endpoint enabled."""

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
    """A ``kickbot run`` process, its SCIM base URL and its output (a file: a pipe nobody
    reads would stop the process once full)."""

    def __init__(self, proc: asyncio.subprocess.Process, base: str, log: Path):
        self.proc = proc
        self.base = base
        self.log = log

    def client(self, token: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    async def ready(self, token: str, within: float = 60) -> None:
        """Wait until the SCIM endpoint answers (the process has started)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        async with self.client(token) as client:
            while True:
                if self.proc.returncode is not None:
                    raise AssertionError(f"kickbot exited: {self.output()}")
                try:
                    if (await client.get("/ServiceProviderConfig")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if loop.time() > deadline:
                    raise TimeoutError("the SCIM endpoint did not answer")
                await asyncio.sleep(0.2)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop(self) -> int:
        """SIGTERM, and the exit status."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 60)
        return self.proc.returncode or 0

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


@contextlib.asynccontextmanager
async def kickbot_run(config: dict[str, Any], tmp_path: Path) -> AsyncIterator[Running]:
    """``kickbot run`` on ``config`` (its ``scim.listen_port`` is set to a free port); killed
    if still running when the block ends."""
    port = free_port()
    config = {**config, "scim": {**config["scim"], "listen_port": port}}
    path = tmp_path / f"kickbot-{port}.yaml"
    path.write_text(yaml.safe_dump(config))
    log = tmp_path / f"kickbot-{port}.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(path),
            stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    running = Running(proc, f"http://127.0.0.1:{port}/scim/v2", log)
    try:
        yield running
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
