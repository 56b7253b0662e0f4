"""`kickbot run` as a real process with the SCIM endpoint enabled."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests import kickbot_process
from tests.kickbot_process import Running

__all__ = ["Running", "kickbot_run", "ready"]


async def ready(kickbot: Running, token: str, within: float = 60) -> None:
    """Wait until the SCIM endpoint answers (the process has started)."""
    await kickbot.wait_for("/ServiceProviderConfig", 200, within, token)


@contextlib.asynccontextmanager
async def kickbot_run(config: dict[str, Any], tmp_path: Path) -> AsyncIterator[Running]:
    """``kickbot run`` on ``config`` (its ``scim.listen_port`` set to a free port)."""
    async with kickbot_process.kickbot_run(
        config,
        tmp_path,
        lambda c, port: {**c, "scim": {**c["scim"], "listen_port": port}},
        lambda port: f"http://127.0.0.1:{port}/scim/v2",
    ) as running:
        yield running
