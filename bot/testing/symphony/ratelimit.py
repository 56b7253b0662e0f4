"""Symphony's one published limit, enforced by the emulated pod when a bench or test asks for it.

Symphony's rule for jumbo rooms (more than 1,000 members): "members should be added/deleted 1
member every 3 seconds". The spec has no 429, but the BDK retries one, and a pod that enforced
the rule would answer one; so a call that comes sooner than ``interval`` after the previous
membership change in the same jumbo room is answered 429 and counted in ``rejected``.

``tolerance`` forgives arrivals a little early: the pacer spaces the *starts* of calls, and the
time a request spends on the way varies by a millisecond or two on loopback.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

_CHANGE = re.compile(r"^/pod/v1/room/([^/]+)/membership/(add|remove|promoteOwner|demoteOwner)$")


@dataclass
class JumboRoomLimit:
    """One membership change per ``interval`` seconds in a room of more than ``jumbo_members``
    members (``members(stream_id)`` says how many it has now)."""

    members: Callable[[str], int]
    interval: float = 3.0
    jumbo_members: int = 1000
    tolerance: float = 0.0
    clock: Callable[[], float] = time.monotonic
    accepted: int = 0
    rejected: int = 0
    gaps: list[float] = field(default_factory=list)
    """Seconds between consecutive accepted changes in the same jumbo room, in arrival order."""
    early: list[float] = field(default_factory=list)
    """The gaps that were refused (seconds since the previous accepted change)."""
    _last: dict[str, float] = field(default_factory=dict)

    def check(self, method: str, path: str, arrived: float | None = None) -> web.Response | None:
        """None to let the request through, else the 429 to answer instead; ``arrived`` is when
        the request reached the double (``clock()``'s time; default: now)."""
        match = _CHANGE.match(path)
        if method != "POST" or match is None:
            return None
        room = match.group(1)
        if self.members(room) <= self.jumbo_members:
            return None
        now = self.clock() if arrived is None else arrived
        last = self._last.get(room)
        if last is not None and now - last < self.interval - self.tolerance:
            self.rejected += 1
            self.early.append(now - last)
            wait = self.interval - (now - last)
            response = web.json_response(
                {
                    "code": 429,
                    "message": f"Too many membership changes in this room: wait {wait:.3f} s",
                },
                status=429,
            )
            response.headers["Retry-After"] = f"{max(wait, 0.001):.3f}"
            return response
        if last is not None:
            self.gaps.append(now - last)
        self._last[room] = now
        self.accepted += 1
        return None
