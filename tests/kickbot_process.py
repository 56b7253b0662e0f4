"""`kickbot run` as a real process on a config file, with one HTTP endpoint of its own on a
free port (the SCIM endpoint, the operations endpoint): its output goes to a file (a pipe
nobody reads would stop the process once full), and it is killed if still running when the
block ends."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
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
    """A ``kickbot run`` process, its endpoint's base URL and its output."""

    def __init__(self, proc: asyncio.subprocess.Process, base: str, log: Path):
        self.proc = proc
        self.base = base
        self.log = log

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return httpx.AsyncClient(base_url=self.base, headers=headers, timeout=30)

    async def get(self, path: str, token: str | None = None) -> httpx.Response:
        async with self.client(token) as client:
            return await client.get(path)

    async def wait_for(
        self, path: str, status: int, within: float = 60, token: str | None = None
    ) -> httpx.Response:
        """Poll ``path`` until it answers ``status``; the last answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        last: httpx.Response | None = None
        while True:
            if self.proc.returncode is not None:
                raise AssertionError(f"kickbot exited: {self.output()}")
            try:
                last = await self.get(path, token)
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
        """SIGTERM, and the exit status."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.proc.wait(), 60)
        return self.proc.returncode or 0

    def kill(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()


@contextlib.asynccontextmanager
async def kickbot_run(
    config: dict[str, Any],
    tmp_path: Path,
    listening: Callable[[dict[str, Any], int], dict[str, Any]],
    base: Callable[[int], str],
) -> AsyncIterator[Running]:
    """``kickbot run`` on ``listening(config, port)`` for a free port; ``base(port)`` is the
    endpoint's base URL."""
    port = free_port()
    path = tmp_path / f"kickbot-{port}.yaml"
    path.write_text(yaml.safe_dump(listening(config, port)))
    log = tmp_path / f"kickbot-{port}.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(path),
            stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    running = Running(proc, base(port), log)
    try:
        yield running
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
