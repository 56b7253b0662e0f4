"""Without ``http:`` in the config, kickbot imports neither the operations endpoint nor
prometheus-client (nor aiohttp for it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, sys
from bot.app import App
from bot.settings import parse
from handlers import COMMANDS
settings = parse({"store": sys.argv[1]}, [c.name for c in COMMANDS])
async def main():
    async with App(settings, platforms={}):
        pass
asyncio.run(main())
print(",".join(m for m in ("prometheus_client", "bot.ops.server", "bot.ops.metrics")
               if m in sys.modules) or "none")
"""


def test_an_app_without_http_imports_no_metrics_library(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path}/kickbot.db"
    out = subprocess.run(
        [sys.executable, "-c", PROBE, store], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip().splitlines()[-1] == "none"
