"""Waking waiters when a double's state changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Changes:
    """Wakes waiters whenever a double's state changes; each re-checks its own condition.

    An ``asyncio.Event`` rather than a ``Condition`` so that synchronous code (``pod.say``, timer
    callbacks) can signal too. Never polls.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while not predicate():
                self._event.clear()
                await self._event.wait()
