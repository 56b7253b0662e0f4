"""Behaviour a test plans on a double: errors instead of answers, requests held until released."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from aiohttp import web

Call = TypeVar("Call")
"""How a double describes one incoming call (what a plan is matched against)."""
Answer = TypeVar("Answer")
"""What a double answers a planned failure with."""


@dataclass
class Planned(Generic[Call, Answer]):
    matches: Callable[[Call], bool]
    answer: Answer
    remaining: int
    after_effect: bool = False
    """Carried out first, then only the answer is replaced (an answer lost after acting)."""
    reset: bool = False
    """No answer at all: the connection is reset."""


@dataclass
class _Hold(Generic[Call]):
    matches: Callable[[Call], bool]
    release: asyncio.Event
    used: bool = False


class Knobs(Generic[Call, Answer]):
    """Planned failures (taken in the order planned) and holds, for one double."""

    def __init__(self) -> None:
        self.planned: list[Planned[Call, Answer]] = []
        self._holds: list[_Hold[Call]] = []

    def fail(
        self,
        matches: Callable[[Call], bool],
        answer: Answer,
        *,
        times: int = 1,
        after_effect: bool = False,
        reset: bool = False,
    ) -> None:
        self.planned.append(Planned(matches, answer, times, after_effect, reset))

    def take(
        self, call: Call, request: web.Request | None = None, *, after: bool = False
    ) -> Answer | None:
        """The planned answer for this call, if any: those planned ``after_effect`` once the
        call has acted (``after``), the others before. A ``reset`` one aborts ``request``'s
        connection (whatever is answered then is never sent)."""
        for planned in self.planned:
            if planned.remaining > 0 and planned.after_effect == after and planned.matches(call):
                planned.remaining -= 1
                if planned.reset and request is not None and request.transport is not None:
                    request.transport.abort()
                return planned.answer
        return None

    def hold(self, matches: Callable[[Call], bool]) -> asyncio.Event:
        """Hold the next matching call until the returned event is set (then answer it)."""
        release = asyncio.Event()
        self._holds.append(_Hold(matches, release))
        return release

    def take_hold(self, call: Call) -> asyncio.Event | None:
        for hold in self._holds:
            if not hold.used and hold.matches(call):
                hold.used = True
                return hold.release
        return None

    def release_holds(self) -> None:
        """Let every held call go (a double stopping must not leave handlers waiting)."""
        for hold in self._holds:
            hold.used = True
            hold.release.set()
