"""Pacing of state-changing calls in jumbo rooms (Symphony: one change every 3 s above 1,000
members).

aiolimiter's clock is the event loop's own and cannot be replaced, so the pacer is a leaky bucket
of size one written here over an injected ``monotonic``/``sleep`` pair: tests drive it on a clock
they control, production uses ``time.monotonic`` and ``asyncio.sleep``.
"""

from __future__ import annotations

import asyncio
import collections
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


def paced_seconds(changes: int, interval: float) -> float:
    """How long ``changes`` calls take at one per ``interval`` (the first one waits for none)."""
    return max(changes - 1, 0) * interval


SLOW_CALL = 3.0
"""A call taking this many times the usual time is taken to have been retried."""
SPIN_SECONDS = 0.0015
"""The end of a pacing wait spent yielding to the loop rather than on a timer."""
JITTER_MARGIN = 0.01
"""Calls are spaced this fraction more than the interval (30 ms at Symphony's 3 s): a request
can reach the platform a few milliseconds later or sooner than it was let go (measured here on
loopback: up to 3.6 ms), and the platform counts arrivals, so the gap it sees must not fall
short of the interval when one request was late and the next was not."""


class Pacer:
    """At most one call per ``interval`` seconds (and the jitter ``margin``): ``await
    pacer.wait()`` before each call.

    Waiters are served in arrival order; the interval is measured between the starts of calls,
    so a slow call does not add to the wait that follows it.
    """

    def __init__(
        self,
        interval: float,
        *,
        margin: float = JITTER_MARGIN,
        sleep: Sleep = asyncio.sleep,
        monotonic: Clock = time.monotonic,
    ):
        if interval < 0:
            raise ValueError("interval must be >= 0")
        self.interval = interval
        self.spacing = interval * (1 + margin)
        """What the calls are really spaced by: the interval and the jitter margin."""
        self._sleep = sleep
        self._monotonic = monotonic
        self._next = -math.inf
        self._released = -math.inf
        self._durations: collections.deque[float] = collections.deque(maxlen=16)
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return at the earliest ``interval`` after the previous call was let go. On the real
        clock the last millisecond is waited out by yielding to the loop: a timer fires up to a
        millisecond late, which at a short pace (tests, benchmarks) would add up to several per
        cent; measured from the moment let go, a late wake-up can never shorten a gap."""
        async with self._lock:
            delay = self._next - self._monotonic()
            if delay > 0:
                precise = self._sleep is asyncio.sleep
                await self._sleep(delay - SPIN_SECONDS if precise else delay)
                while precise and self._monotonic() < self._next:  # noqa: ASYNC110 (a spin
                    await asyncio.sleep(0)  # of at most SPIN_SECONDS, not a wait for an event)
            self._released = self._monotonic()
            self._next = self._released + self.spacing

    def done(self) -> None:
        """The call let go last has ended. One far slower than usual was made to wait or was
        retried (a 429 and the client's retry): its last request left about one usual call
        time before now, so the next waits a whole interval from then, not from its first try
        (else the retry and the next call would come too close, and be refused in turn)."""
        took = self._monotonic() - self._released
        usual = statistics.median(self._durations) if self._durations else None
        self._durations.append(took)
        if usual is None or took <= SLOW_CALL * usual:
            return
        self._next = max(self._next, self._released + took - usual + self.spacing)


@dataclass(frozen=True, slots=True)
class PaceRule:
    """Rooms of more than ``above_members`` members (on ``platform``, or on any if None) get
    one state-changing call every ``interval_seconds``."""

    platform: str | None
    above_members: int
    interval_seconds: float


class RoomPacing:
    """Which rooms are jumbo, and one :class:`Pacer` per jumbo room (shared by its commands)."""

    def __init__(
        self,
        jumbo_members: int,
        interval: float,
        *,
        rules: Sequence[PaceRule] = (),
        margin: float = JITTER_MARGIN,
        sleep: Sleep = asyncio.sleep,
        monotonic: Clock = time.monotonic,
    ):
        self.jumbo_members = jumbo_members
        self._margin = margin
        self.interval = interval
        self._rules = [PaceRule(None, jumbo_members, interval), *rules]
        self._sleep = sleep
        self._monotonic = monotonic
        self._pacers: dict[tuple[str, str], Pacer] = {}

    def interval_for(self, members: int, platform: str | None = None) -> float:
        """The pace for a room of ``members`` members on ``platform`` (0: not paced): the rule
        for the largest size the room is above wins, a platform's own over the general one."""
        matching = [
            r for r in self._rules if r.platform in (None, platform) and members > r.above_members
        ]
        if not matching:
            return 0.0
        best = max(matching, key=lambda r: (r.above_members, r.platform is not None))
        return best.interval_seconds

    async def wait(self, platform: str, room: str, interval: float) -> None:
        """Wait for the room's turn; ``interval`` is what ``interval_for`` gave when the command
        started (a room shrinking below the threshold mid-command keeps its pace)."""
        if interval <= 0:
            return
        key = (platform, room)
        pacer = self._pacers.get(key)
        if pacer is None or pacer.interval != interval:
            pacer = self._pacers[key] = Pacer(
                interval, margin=self._margin, sleep=self._sleep, monotonic=self._monotonic
            )
        await pacer.wait()

    def done(self, platform: str, room: str) -> None:
        """The paced call in ``room`` has ended (see ``Pacer.done``)."""
        pacer = self._pacers.get((platform, room))
        if pacer is not None:
            pacer.done()
