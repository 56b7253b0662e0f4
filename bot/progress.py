"""When a long command reports its progress in the thread: after at least ``every_percent`` of
its targets AND at least ``every_seconds`` since the last report (whichever is rarer). The
final summary is the command's reply, so no progress report is made once every target is done.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence

from bot.outcome import ItemResult

Post = Callable[[Sequence[ItemResult], int, float | None], Awaitable[None]]
"""Post a progress report: (results so far, total, estimated seconds left or None)."""


class Progress:
    def __init__(
        self,
        total: int,
        post: Post,
        *,
        every_percent: float = 10.0,
        every_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.total = total
        self._post = post
        self._step = total * every_percent / 100
        self._every_seconds = every_seconds
        self._monotonic = monotonic
        self._started = self._last_time = monotonic()
        self._last_done = 0
        self.posted = 0

    async def __call__(self, items: Sequence[ItemResult]) -> None:
        """Called after each target with every result so far."""
        done = len(items)
        if done >= self.total or done - self._last_done < self._step:
            return
        now = self._monotonic()
        if now - self._last_time < self._every_seconds:
            return
        self._last_done, self._last_time = done, now
        elapsed = now - self._started
        left = elapsed / done * (self.total - done) if done else None
        self.posted += 1
        await self._post(items, self.total, left)

    def expect(self, total: int) -> None:
        """Set the total once the command knows it (offboarding: its rooms, listed as it starts;
        the dispatcher counted one target)."""
        self._step = self._step / self.total * total if self.total else 0.0
        self.total = total
