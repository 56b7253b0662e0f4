"""Pacing accuracy in jumbo rooms, on the Symphony double that enforces the published limit.

- one job: ``/kick`` of ``removals`` listed members in a jumbo room, paced at ``interval``
  (Symphony's 3 s shortened), twice: on a double that only watches, then on one that answers 429
  to any membership change that comes sooner than ``interval - tolerance`` after the previous
  one in that room (bot/testing/symphony/ratelimit.py). Achieved = mean gap between the accepted
  removals' arrivals at the double.
- many jobs: ``rooms`` jumbo rooms, each asked to remove ``per_room`` listed members, all
  confirmed at once; total time beside the same job alone. The double's spec checks are off here
  (it would be the bottleneck: it answers ~125 requests/s with them).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from bench_common import pct
from symphony_world import mention, world

from bot.testing.symphony.ratelimit import JumboRoomLimit


async def one_job(
    removals: int, interval: float, jumbo: int, *, enforce: bool, tolerance: float = 0.002
) -> dict[str, Any]:
    """``removals`` listed members removed from a room that stays jumbo throughout (it has
    ``jumbo`` more members); with ``enforce``, the double refuses early changes with a 429."""
    bulk = {"jumbo_interval_seconds": interval, "jumbo_members": jumbo}
    async with world(bulk=bulk, own_process=True) as w:
        members = w.add_members(removals + jumbo)
        room = w.add_room(members)
        pod = w.pod
        limit = JumboRoomLimit(
            lambda sid: len(pod.room(sid).members),
            interval=interval,
            jumbo_members=jumbo,
            tolerance=tolerance if enforce else interval,  # not enforcing: refuses nothing
        )
        pod.knobs.limit = limit
        started = time.perf_counter()
        targets = " ".join(mention(uid) for uid in members[:removals])
        case = await w.confirmed_job(room, f"/kick {targets}")
        summary = await w.summary(room, case, timeout=removals * interval * 10 + 60)
        total = time.perf_counter() - started
        calls = len(pod.calls("POST", r"/membership/remove"))
    gaps = limit.gaps  # between accepted removals, as the double saw them arrive
    achieved = statistics.mean(gaps) if gaps else 0.0
    return {
        "removals": removals,
        "enforced": enforce,
        "done_line": summary.text.splitlines()[0],
        "remove_calls": calls,
        "configured_ms": interval * 1000,
        "achieved_ms": achieved * 1000,
        "error_pct": (achieved / interval - 1) * 100 if interval else 0.0,
        "median_gap_ms": statistics.median(gaps) * 1000 if gaps else 0.0,
        "p05_gap_ms": pct(gaps, 0.05) * 1000 if gaps else 0.0,
        "min_gap_ms": min(gaps) * 1000 if gaps else 0.0,
        "limit_tolerance_ms": tolerance * 1000 if enforce else None,
        "rejected_429": limit.rejected,
        "first_refused_gaps_ms": [round(g * 1000, 2) for g in limit.early[:5]],
        "total_s": total,
        "ideal_s": (removals - 1) * interval,
    }


async def _timed_jobs(rooms: int, per_room: int, interval: float, jumbo: int) -> float:
    """Seconds from the first /confirm to the last summary, ``rooms`` jobs at once."""
    bulk = {"jumbo_interval_seconds": interval, "jumbo_members": jumbo}
    async with world(bulk=bulk, spec_checks=False, own_process=True) as w:
        members = w.add_members(jumbo + 1)
        targets = " ".join(mention(uid) for uid in members[:per_room])
        ids = [w.add_room(members) for _ in range(rooms)]
        plans = [w.say(room, f"/kick {targets}") for room in ids]
        cases = []
        for plan in plans:
            _, text = await w.answer(plan)
            cases.append(int(text.text.split("/confirm ")[1].split()[0].rstrip(".:,")))
        started = time.perf_counter()
        for room, case in zip(ids, cases, strict=True):
            w.pod.say(1001, room, f"/confirm {case}")
        await asyncio.gather(*(w.summary(r, c) for r, c in zip(ids, cases, strict=True)))
        return time.perf_counter() - started


async def many_jobs(rooms: int, per_room: int, interval: float, jumbo: int) -> dict[str, Any]:
    alone = await _timed_jobs(1, per_room, interval, jumbo)
    together = await _timed_jobs(rooms, per_room, interval, jumbo)
    return {
        "rooms": rooms,
        "per_room": per_room,
        "configured_ms": interval * 1000,
        "one_job_s": alone,
        "all_jobs_s": together,
        "ratio": together / alone,
        "ideal_s": (per_room - 1) * interval,
    }
