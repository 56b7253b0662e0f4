"""A real Synapse on 127.0.0.1: installed once in its own virtualenv (Synapse pins its own
dependencies), run with SQLite, a free port, no federation, registration by shared secret
and relaxed rate limits.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import TextIO

SYNAPSE_REQUIREMENT = "matrix-synapse==1.163.*"
SYNAPSE_SERIES = "1.163."
_LISTENING = re.compile(r"Synapse now listening on TCP port (\d+)")


class SynapseUnavailable(RuntimeError):
    """Synapse could not be installed or started here."""


# --- installing ---------------------------------------------------------------------------------


def default_venv() -> Path:
    if env := os.environ.get("KICKBOT_SYNAPSE_VENV"):
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "kickbot" / "synapse-venv"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _installed(venv: Path) -> bool:
    py = _python(venv)
    if not py.exists():
        return False
    done = subprocess.run(
        [str(py), "-c", "import synapse; print(synapse.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and done.stdout.strip().startswith(SYNAPSE_SERIES)


def ensure_synapse(venv: Path | None = None, out: TextIO | None = None) -> Path:
    """The Python of a virtualenv holding Synapse, installed with pip if missing."""
    venv = (venv or default_venv()).absolute()
    venv.parent.mkdir(parents=True, exist_ok=True)
    key = hashlib.sha256(str(venv).encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"kickbot-synapse-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs must not install into one venv at once
        if _installed(venv):
            return _python(venv)
        if out is not None:
            print(f"Installing {SYNAPSE_REQUIREMENT} into {venv} (once)…", file=out, flush=True)
        steps = [
            [sys.executable, "-m", "venv", "--clear", str(venv)],
            [str(_python(venv)), "-m", "pip", "install", "-q", SYNAPSE_REQUIREMENT],
        ]
        for cmd in steps:
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
                raise SynapseUnavailable(f"{' '.join(cmd)} failed:\n" + "\n".join(tail))
        if not _installed(venv):
            raise SynapseUnavailable(f"Synapse is still not importable from {venv}")
        return _python(venv)


# --- running ------------------------------------------------------------------------------------

_LOG_CONFIG = """\
version: 1
formatters:
  brief: {format: '%(asctime)s %(name)s %(levelname)s %(message)s'}
handlers:
  console: {class: logging.StreamHandler, formatter: brief}
loggers:
  synapse.app._base: {level: INFO}
root: {level: WARNING, handlers: [console]}
disable_existing_loggers: false
"""


def _limit(per_second: float, burst: float) -> dict[str, float]:
    return {"per_second": per_second, "burst_count": burst}


class SynapseServer:
    """One Synapse process. Start and stop are synchronous so a pytest session fixture (or a
    thread) can own it; everything else talks HTTP."""

    def __init__(
        self,
        python: Path,
        workdir: Path,
        *,
        server_name: str = "kickbot.test",
        message_rate: tuple[float, float] = (1000.0, 1000.0),
    ):
        self.python = python
        self.workdir = workdir
        self.server_name = server_name
        self.message_rate = message_rate
        """rc_message (per second, burst) for everyone; one account can be slowed down with
        ``Homeserver.override_ratelimit`` to see M_LIMIT_EXCEEDED."""
        self.shared_secret = secrets.token_hex(16)
        self.port: int | None = None
        self.startup_seconds: float | None = None
        self.log_path = workdir / "homeserver.log"
        self._proc: subprocess.Popen[str] | None = None
        self._lines: deque[str] = deque(maxlen=200)
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("Synapse is not started")
        return f"http://127.0.0.1:{self.port}"

    def _write_config(self) -> Path:
        w = self.workdir
        w.mkdir(parents=True, exist_ok=True)
        seed = base64.b64encode(os.urandom(32)).decode().rstrip("=")
        (w / "signing.key").write_text(f"ed25519 a_kb {seed}\n")
        (w / "log.yaml").write_text(_LOG_CONFIG)
        fast = _limit(1000.0, 1000.0)
        config = {
            "server_name": self.server_name,
            "pid_file": str(w / "homeserver.pid"),
            "listeners": [
                {
                    "port": 0,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(w / "homeserver.db")}},
            "log_config": str(w / "log.yaml"),
            "media_store_path": str(w / "media"),
            "signing_key_path": str(w / "signing.key"),
            "registration_shared_secret": self.shared_secret,
            "report_stats": False,
            "trusted_key_servers": [],
            "federation_domain_whitelist": [],
            "suppress_key_server_warning": True,
            "bcrypt_rounds": 4,
            "enable_metrics": False,
            "presence": {"enabled": False},
            "rc_message": _limit(*self.message_rate),
            "rc_registration": fast,
            "rc_login": {"address": fast, "account": fast, "failed_attempts": fast},
            "rc_joins": {"local": fast, "remote": fast},
            "rc_joins_per_room": fast,
            "rc_invites": {"per_room": fast, "per_user": fast, "per_issuer": fast},
            "rc_room_creation": fast,
            "rc_admin_redaction": fast,
            # A /sync is answered afresh: an account's first /sync (no position) repeated within
            # the default 2 minutes would get the earlier answer, from before what happened since.
            "caches": {"sync_response_cache_duration": 0},
        }
        path = w / "homeserver.yaml"
        path.write_text(json.dumps(config, indent=2))  # YAML is a superset of JSON
        return path

    def start(self, timeout: float = 90.0) -> None:
        config = self._write_config()
        began = time.monotonic()
        self._proc = subprocess.Popen(
            [str(self.python), "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=self.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, name="synapse-log", daemon=True).start()
        if not self._ready.wait(timeout) or self.port is None:
            self.stop()
            tail = "\n".join(self._lines)
            raise SynapseUnavailable(f"Synapse did not start within {timeout:.0f}s:\n{tail}")
        self.startup_seconds = time.monotonic() - began

    def _read(self) -> None:
        assert self._proc is not None
        assert self._proc.stdout is not None
        with open(self.log_path, "a", encoding="utf-8") as log:
            for line in self._proc.stdout:
                log.write(line)
                log.flush()
                self._lines.append(line.rstrip())
                if self.port is None and (m := _LISTENING.search(line)):
                    self.port = int(m.group(1))
                    self._ready.set()
        self._ready.set()  # exited: wake a waiting start()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)

    def __enter__(self) -> SynapseServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- the people's side ----------------------------------------------------------------------
