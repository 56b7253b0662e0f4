"""An emulated server: loopback start/stop, request recording, spec violations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from aiohttp import web

from bot.testing.kit.changes import Changes
from bot.testing.loopback import LoopbackServer
from bot.testing.spec_check import SpecViolation

Recorded = TypeVar("Recorded")
"""A double's record of one request."""


class EmulatedServer(LoopbackServer, Generic[Recorded]):
    """A double on loopback: every request it saw in ``requests`` (in order), ``changed`` woken
    on each, every broken rule in ``violations`` (``assert_no_violations()`` raises
    :class:`SpecViolation`). Doubles select their records by their own notion of a call."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.changed = Changes()

    def record(self, request: Recorded) -> None:
        self.requests.append(request)
        self.changed.notify()

    def recorded(self, matches: Callable[[Recorded], bool]) -> list[Recorded]:
        """The requests ``matches`` accepts, in the order they came."""
        return [r for r in self.requests if matches(r)]

    async def wait_for_recorded(
        self,
        matches: Callable[[Recorded], bool],
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[Recorded]:
        """Wait until at least ``count`` requests match; returns them."""
        await self.changed.wait_for(lambda: len(self.recorded(matches)) >= count, timeout)
        return self.recorded(matches)

    def violate(self, kind: str, detail: str, request: web.Request | None = None) -> None:
        """Record a broken rule: ``[kind] METHOD /path: detail`` (the request when known)."""
        where = f" {request.method} {request.path}:" if request is not None else ""
        self.violations.append(f"[{kind}]{where} {detail}")

    def assert_no_violations(self) -> None:
        if self.violations:
            raise SpecViolation(self.violations)
