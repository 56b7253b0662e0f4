"""kickbot as the host runs it, for the benches: a process that reads a settings file (JSON),
starts the App (only the enabled platforms' adapters and SDKs are imported), prints one JSON line
when it is ready (the modules it loaded, the URLs its platforms listen on), and stops when a line
arrives on stdin (commands still running get the grace seconds of the second argument, 2 by
default). With ``KICKBOT_BENCH_CLOSED=1`` it also prints a line as each case closes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any


async def serve(data: dict[str, object], grace_seconds: float) -> None:
    from bot import logs
    from bot.app import App
    from bot.settings import parse
    from handlers import COMMANDS

    logs.configure("WARNING")
    settings = parse(data, [c.name for c in COMMANDS])
    app = App(settings)
    await app.start()
    if os.environ.get("KICKBOT_BENCH_CLOSED") == "1":
        assert app.dispatcher is not None
        app.dispatcher.on_finished.append(
            lambda case, _: print(json.dumps({"closed": case}), flush=True)
        )
    listen = {name: url for name, p in app.platforms.items() if (url := _listen_url(p))}
    print(json.dumps({"ready": True, "modules": sorted(sys.modules), "listen": listen}), flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await app.stop(grace_seconds=grace_seconds)


def _listen_url(platform: Any) -> str | None:
    """Where a platform that receives events over HTTP listens (None: it fetches them)."""
    for name in ("webhook_url", "listen_url"):
        try:
            return str(getattr(platform, name))
        except (AttributeError, RuntimeError):
            continue
    return None


if __name__ == "__main__":
    grace = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    asyncio.run(serve(json.loads(Path(sys.argv[1]).read_text()), grace))
