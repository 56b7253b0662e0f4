"""What metrics cost: the throughput bench with and without the Prometheus observer, side by side.

    .venv/bin/python bench/metrics_cost.py                # 300 /kick over 10 rooms, 3 rounds
    .venv/bin/python bench/metrics_cost.py --commands 30 --rounds 1

Each round runs the same load twice in one process, alternating which goes first: once with
``bot.telemetry``'s default observer (counts nothing, as when ``http:`` is not configured) and
once with ``bot.ops.metrics.PrometheusObserver`` installed, scraped once at the end (the scrape
is timed on its own). Prints commands/s and median latency of each, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the bench modules import each other

import throughput

from bot import telemetry
from bot.ops.metrics import PrometheusObserver


async def one(rooms: int, commands: int, metrics: bool) -> dict[str, Any]:
    observer = PrometheusObserver(["symphony"]) if metrics else telemetry.Observer()
    telemetry.install(observer)
    try:
        result = await throughput.measure(rooms, commands)
        if isinstance(observer, PrometheusObserver):
            began = time.perf_counter()
            text = await observer.exposition(None)
            result["scrape_ms"] = (time.perf_counter() - began) * 1000
            result["exposition_bytes"] = len(text)
        return result
    finally:
        telemetry.install(telemetry.Observer())


async def measure(rooms: int, commands: int, rounds: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"off": [], "on": []}
    for n in range(rounds):
        order = ("off", "on") if n % 2 == 0 else ("on", "off")
        for which in order:
            runs[which].append(await one(rooms, commands, which == "on"))

    def median(which: str, key: str) -> float:
        return float(statistics.median(r[key] for r in runs[which]))

    return {
        "rooms": rooms,
        "commands": commands,
        "rounds": rounds,
        "off_commands_per_s": median("off", "commands_per_s"),
        "on_commands_per_s": median("on", "commands_per_s"),
        "off_median_latency_ms": median("off", "median_latency_ms"),
        "on_median_latency_ms": median("on", "median_latency_ms"),
        "throughput_ratio_on_off": median("on", "commands_per_s") / median("off", "commands_per_s"),
        "scrape_ms": median("on", "scrape_ms"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    a = parser.parse_args()
    res = asyncio.run(measure(a.rooms, a.commands, a.rounds))
    print(f"{res['commands']} /kick over {res['rooms']} rooms, median of {res['rounds']} rounds")
    print(
        f"  metrics off: {res['off_commands_per_s']:8.1f} commands/s,"
        f" median latency {res['off_median_latency_ms']:.1f} ms"
    )
    print(
        f"  metrics on:  {res['on_commands_per_s']:8.1f} commands/s,"
        f" median latency {res['on_median_latency_ms']:.1f} ms"
    )
    ratio, scrape = res["throughput_ratio_on_off"], res["scrape_ms"]
    print(f"  ratio on/off: {ratio:.3f}; one scrape: {scrape:.2f} ms")


if __name__ == "__main__":
    main()
