"""Throughput: commands per second through the whole pipeline, the double answering at once.

``commands`` single-target ``/kick`` commands are said at once, spread over ``rooms`` rooms
(``commands / rooms`` each, every one naming a different member), and the bench waits for every
answer: commands/s = commands / (last answer - first said). The double's spec checks are off, so
it answers as fast as it can; it still runs in this process and its share is shown by the
profile. One room's commands run one after another (its own worker); rooms run side by side.
No room counts as jumbo here (``bulk.jumbo_members`` raised), so nothing is paced or planned.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from symphony_world import mention, world


async def measure(rooms: int, commands: int, profile: bool = False) -> dict[str, Any]:
    per_room = max(commands // rooms, 1)
    async with world(bulk={"jumbo_members": 1_000_000}, spec_checks=False) as w:
        members = w.add_members(per_room)
        ids = [w.add_room(members) for _ in range(rooms)]
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001, async_mode="disabled")
            profiler.start()
        started = time.perf_counter()
        said = [w.say(room, f"/kick {mention(uid)}") for uid in members for room in ids]
        answers = await asyncio.gather(*(w.answer(c, timeout=600) for c in said))
        elapsed = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
    wrong = [m.text for _, m in answers if "Removed" not in m.text]
    if wrong:
        raise RuntimeError(f"{len(wrong)} unexpected answers, e.g. {wrong[0]}")
    result: dict[str, Any] = {
        "rooms": rooms,
        "commands": len(said),
        "seconds": elapsed,
        "commands_per_s": len(said) / elapsed,
        "median_latency_ms": sorted(s for s, _ in answers)[len(answers) // 2] * 1000,
    }
    if profiler is not None:
        from profile_shares import shares

        session = profiler.last_session
        root = session.root_frame() if session is not None else None
        if root is not None:
            result["profile"] = shares(root)
    return result
