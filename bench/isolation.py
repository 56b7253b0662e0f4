"""Isolation: single /kick commands in many small rooms, alone and while a jumbo room is emptied.

``rooms`` rooms of one member each get one ``/kick`` each, one after another (each waits for its
answer), with nothing else going on, and ``rooms`` more while ``/kick --all-except-owners``
empties a room of ``big_room`` members at its pace (``interval``). Latency = said in the room ->
the bot's answer posted. Target: p95 with the big job <= 1.2 x p95 alone.

The "alone" commands are split: half before the big job starts, half after it is cancelled, so
that a drift of the host's speed during the run (it is shared) weighs on both sides alike.

The bot runs in its own process, as a host runs it (the double's work for the big job would
otherwise be done on the bot's event loop and counted as the bot's). :func:`measure` runs once
per pace: Symphony's own (one change every 3 s) and a shortened one that makes the big job 150
times as heavy.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

from bench_common import pct
from symphony_world import ALICE, World, mention, world

from bot.testing.symphony.state import url_safe_id


async def _singles(w: World, rooms: list[str], target: int) -> list[float]:
    latencies = []
    for room in rooms:
        seconds, answer = await w.answer(w.say(room, f"/kick {mention(target)}"))
        if "Removed" not in answer.text:
            raise RuntimeError(f"unexpected answer: {answer.text}")
        latencies.append(seconds * 1000)
    return latencies


def _figures(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": statistics.median(ms), "p95_ms": pct(ms, 0.95), "n": len(ms)}


async def measure(
    rooms: int, big_room: int, intervals: tuple[float, ...], jumbo: int
) -> dict[str, Any]:
    """One run per pace in ``intervals`` (each with its own "alone" beside it)."""
    return {"runs": [await one_pace(rooms, big_room, i, jumbo) for i in intervals]}


async def one_pace(rooms: int, big_room: int, interval: float, jumbo: int) -> dict[str, Any]:
    bulk = {"jumbo_interval_seconds": interval, "jumbo_members": jumbo}
    # stop_grace: the big job is still running at the end: cancel it
    async with world(bulk=bulk, own_process=True, stop_grace=1.0) as w:
        (target,) = w.add_members(1)
        small = [w.add_room([target]) for _ in range(2 * rooms)]
        big = w.add_room(w.add_members(big_room, start=1))
        half = rooms // 2
        alone = await _singles(w, small[:half], target)
        case = await w.confirmed_job(big, "/kick --all-except-owners")
        removals = rf"/room/{re.escape(url_safe_id(big))}/membership/remove"
        await w.pod.wait_for_calls("POST", removals, count=2, timeout=3 * interval + 10)
        before = len(w.pod.calls("POST", removals))
        started = time.perf_counter()
        loaded = await _singles(w, small[half : half + rooms], target)
        seconds = time.perf_counter() - started
        during = len(w.pod.calls("POST", removals)) - before
        w.pod.say(ALICE, big, f"/cancel {case}")  # stops after the removal in flight
        await w.summary(big, case, timeout=3 * interval + 60)
        alone += await _singles(w, small[half + rooms :], target)
    a, b = _figures(alone), _figures(loaded)
    return {
        "alone": a,
        "with_big_job": b,
        "big_room_members": big_room,
        "big_job_case": case,
        "big_job_interval_ms": interval * 1000,
        "big_job_removals_meanwhile": during,
        "big_job_removals_per_s": during / seconds,
        "p95_ratio": b["p95_ms"] / a["p95_ms"],
        "p50_ratio": b["p50_ms"] / a["p50_ms"],
    }
