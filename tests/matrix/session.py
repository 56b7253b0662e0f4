"""One Synapse for the whole test session, started on first use and stopped when the session
ends: the Matrix tests (``tests/matrix``, ``tests/everywhere``, ``tests/scim``) and the contract
table's Matrix world (``tests/contract``) share it, each test with accounts and rooms of its own.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from bot.testing.matrix import SynapseServer, SynapseUnavailable, ensure_synapse
from tests.matrix.synapse_env import VENV as SYNAPSE_VENV

_started: list[SynapseServer] = []


def synapse_python() -> Path:
    try:
        return ensure_synapse(SYNAPSE_VENV)
    except SynapseUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI must be able to install Synapse: {exc}")
        pytest.skip(f"Synapse cannot be installed here: {exc}")


def synapse() -> SynapseServer:
    """The session's Synapse (skips the test where Synapse cannot be installed)."""
    if not _started:
        workdir = Path(tempfile.mkdtemp(prefix="kickbot-synapse-"))
        server = SynapseServer(synapse_python(), workdir)
        server.start()
        _started.append(server)
        atexit.register(_stop, server, workdir)
    return _started[0]


def _stop(server: SynapseServer, workdir: Path) -> None:
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)
