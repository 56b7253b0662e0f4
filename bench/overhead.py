"""Overhead per command, per platform: the existing latency benches, one after another.

Each platform's module measures the bot path and the direct path interleaved in one run with the
same HTTP client settings the bot uses (see each module's docstring); this collects their
median, p95 and ratio. Where a second kickbot can run beside the first (the platforms whose
events arrive over HTTP), one whose store does not flush each commit to disk takes its turn too:
the difference is what durable records cost. Matrix needs a local Synapse
(``KICKBOT_SYNAPSE_VENV`` or the repository's ``.synapse-venv``); it is skipped, and said so,
when none is installed.
"""

from __future__ import annotations

import importlib
import os
import traceback
from pathlib import Path
from typing import Any

from bot.platforms import PLUGINS

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MODULES = {
    plugin.name: f"{plugin.name}_latency"
    for plugin in PLUGINS
    if (HERE / f"{plugin.name}_latency.py").is_file()
}
"""Each platform's latency bench, found by its name (``bench/<platform>_latency.py``)."""


def synapse_available() -> bool:
    from bot.testing.matrix import default_venv

    if "KICKBOT_SYNAPSE_VENV" not in os.environ and (REPO / ".synapse-venv").is_dir():
        os.environ["KICKBOT_SYNAPSE_VENV"] = str(REPO / ".synapse-venv")
    return (default_venv() / "bin" / "python").exists()


async def measure(platforms: list[str], n: int, warmup: int) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for name in platforms:
        if name == "matrix" and not synapse_available():
            rows[name] = {"skipped": "no local Synapse installed"}
            continue
        module = importlib.import_module(MODULES[name])
        try:
            res = await module.measure(n, warmup)
        except Exception as exc:  # one platform's failure must not hide the others' figures
            traceback.print_exc()
            rows[name] = {"skipped": f"failed: {exc!r}"}
            continue
        rows[name] = {
            "bot_median_ms": res["bot"]["median_ms"],
            "bot_p95_ms": res["bot"]["p95_ms"],
            "direct_median_ms": res["direct"]["median_ms"],
            "direct_p95_ms": res["direct"]["p95_ms"],
            "ratio": res["bot"]["median_ms"] / res["direct"]["median_ms"],
            "n": int(res["bot"]["n"]),
        }
        if "unflushed" in res:  # the same bot, its store's commits not flushed one by one
            rows[name]["unflushed_median_ms"] = res["unflushed"]["median_ms"]
    return rows
