"""kickbot as the host runs it, for host_cost: a process that reads a settings file (JSON),
starts the App (only the enabled platforms' adapters and SDKs are imported), prints one JSON line
when it is ready, and stops when a line arrives on stdin (commands still running get the grace
seconds of the second argument, 2 by default)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path


async def serve(data: dict[str, object], grace_seconds: float) -> None:
    from bot import logs
    from bot.app import App
    from bot.settings import parse
    from handlers import COMMANDS

    logs.configure("WARNING")
    settings = parse(data, [c.name for c in COMMANDS])
    app = App(settings)
    await app.start()
    print(json.dumps({"ready": True, "modules": sorted(sys.modules)}), flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await app.stop(grace_seconds=grace_seconds)


if __name__ == "__main__":
    grace = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    asyncio.run(serve(json.loads(Path(sys.argv[1]).read_text()), grace))
