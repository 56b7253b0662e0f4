"""``kickbot demo`` as a newcomer runs it: a real process, lines piped in or typed at a terminal."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.matrix.synapse_env import VENV as SYNAPSE_VENV

PLATFORMS = ("symphony", "slack", "rocketchat", "chime", "matrix")


def demo_env() -> dict[str, str]:
    """The environment of a demo process: the Matrix demo's Synapse is the tests' own."""
    return {**os.environ, "KICKBOT_SYNAPSE_VENV": str(SYNAPSE_VENV), "PYTHONUNBUFFERED": "1"}


def command(platform: str | None, tmp_path: Path) -> list[str]:
    """``kickbot demo`` for ``platform`` (``None``: the README's line, which names none)."""
    store = f"sqlite:///{tmp_path}/demo.db"
    chosen = ["--platform", platform] if platform else []
    return [sys.executable, "-m", "bot", "demo", *chosen, "--store", store]


def run_script(platform: str | None, script: str, tmp_path: Path, timeout: float = 240) -> str:
    """Pipe ``script`` into the demo; returns what it printed (it must exit 0 and be quiet on
    standard error, i.e. no traceback)."""
    done = subprocess.run(
        command(platform, tmp_path),
        input=script,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=demo_env(),
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout, done.stderr + done.stdout
    return done.stdout


class Terminal:
    """The demo on a pseudo-terminal, as someone typing at its prompt sees it."""

    def __init__(self, platform: str, tmp_path: Path):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            command(platform, tmp_path),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=demo_env(),
            close_fds=True,
        )
        os.close(slave)
        self.seen = b""

    def read_until(self, wanted: bytes, timeout: float) -> bytes:
        end = time.monotonic() + timeout
        while wanted not in self.seen:
            left = end - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and not self._ready(0)):
                raise AssertionError(f"never saw {wanted!r}; saw:\n{self.text()}")
            if self._ready(min(left, 0.5)):
                self._read_some()
        return self.seen

    def _ready(self, timeout: float) -> bool:
        return bool(select.select([self.master], [], [], timeout)[0])

    def _read_some(self) -> None:
        with contextlib.suppress(OSError):  # OSError: the process closed the terminal
            self.seen += os.read(self.master, 65536)

    def drain(self) -> None:
        while self._ready(0.2):
            before = len(self.seen)
            self._read_some()
            if len(self.seen) == before:
                return

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def text(self) -> str:
        return self.seen.decode(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
