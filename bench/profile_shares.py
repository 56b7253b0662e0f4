"""Where a pyinstrument profile's time went: shares by component and the top frames.

Each sample's time is given to the innermost frame that belongs to a known component (kickbot's
core, its adapters, the double, the BDK, aiohttp, …); frames of the standard library count for
the component that called them, so json/ssl/asyncio work done for the BDK is the BDK's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pyinstrument.frame import Frame

COMPONENTS = (
    ("/bot/testing/", "double (bot/testing)"),
    ("/bot/platforms/", "adapter (bot/platforms)"),
    ("/handlers/", "kickbot core (bot, handlers)"),
    ("/bot/", "kickbot core (bot, handlers)"),
    ("/symphony/bdk/", "symphony BDK"),
    ("/aiohttp/", "aiohttp"),
    ("/openapi_core/", "double (bot/testing)"),
    ("/jsonschema", "double (bot/testing)"),
    ("/aiosqlite/", "aiosqlite"),
    ("/structlog/", "structlog"),
    ("/pydantic", "pydantic"),
    ("/urllib3/", "urllib3"),
)
IDLE = frozenset({"select", "poll", "epoll.poll"})


def component(path: str | None) -> str | None:
    if not path:
        return None
    for marker, name in COMPONENTS:
        if marker in path:
            return name
    return None


def shares(root: Frame, top: int = 12) -> dict[str, Any]:
    """{"total_s", "by_component": {name: share}, "top_self": [(frame, s)], "top_own": [...]}"""
    by: dict[str, float] = defaultdict(float)
    self_time: dict[str, float] = defaultdict(float)  # per leaf frame
    own_total: dict[str, float] = defaultdict(
        float
    )  # time inside each kickbot function (with callees)

    def walk(frame: Frame, inherited: str, label: str, own_seen: frozenset[str]) -> None:
        name = component(frame.file_path) or inherited
        if frame.function in IDLE:
            name = "idle (waiting for I/O)"
        if not frame.is_synthetic:
            label = f"{frame.file_path_short or '?'}:{frame.function}"
        if not frame.children:  # a leaf: where the sample really was
            by[name] += frame.time
            self_time[label] += frame.time
            return
        seen = own_seen
        if name.startswith("kickbot") and component(frame.file_path) and label not in own_seen:
            own_total[label] += frame.time
            seen = own_seen | {label}
        for child in frame.children:
            walk(child, name, label, seen)

    walk(root, "event loop, other", "?", frozenset())
    total = sum(by.values()) or 1.0
    return {
        "total_s": root.time,
        "by_component": {
            k: round(v / total, 3) for k, v in sorted(by.items(), key=lambda kv: -kv[1])
        },
        "top_self": [
            (k, round(v, 3)) for k, v in sorted(self_time.items(), key=lambda kv: -kv[1])[:top]
        ],
        "top_kickbot": [
            (k, round(v, 3)) for k, v in sorted(own_total.items(), key=lambda kv: -kv[1])[:top]
        ],
    }
