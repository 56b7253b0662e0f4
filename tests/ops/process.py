"""`kickbot run` as a real process with the operations endpoint (``http:``) configured."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests import kickbot_process
from tests.kickbot_process import Running


@contextlib.asynccontextmanager
async def kickbot_run(
    config: dict[str, Any], tmp_path: Path, http: dict[str, Any] | None = None
) -> AsyncIterator[Running]:
    """``kickbot run`` on ``config`` with ``http:`` (and ``http``'s other settings) on a free
    port."""
    more = http or {}
    async with kickbot_process.kickbot_run(
        config,
        tmp_path,
        lambda c, port: {
            **c,
            "http": {"listen_host": "127.0.0.1", "listen_port": port, **more},
        },
        lambda port: f"http://127.0.0.1:{port}",
    ) as running:
        yield running
