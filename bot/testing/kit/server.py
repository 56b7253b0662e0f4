"""An emulated server: loopback start/stop, request recording, spec violations."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Generic, Protocol, TypeVar

from aiohttp import web

from bot.testing.kit.changes import Changes
from bot.testing.loopback import LoopbackServer
from bot.testing.spec_check import SpecViolation

Recorded = TypeVar("Recorded")
"""A double's record of one request."""
Message = TypeVar("Message")


class EmulatedServer(LoopbackServer, Generic[Recorded]):
    """A double on loopback: every request it saw in ``requests`` (in order), ``changed`` woken
    on each, every broken rule in ``violations`` (``assert_no_violations()`` raises
    :class:`SpecViolation`). Doubles select their records by their own notion of a call."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.changed = Changes()
        self._returned: dict[Hashable, int] = {}

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

    async def next_of(
        self,
        key: Hashable,
        messages: Callable[[], Sequence[Message]],
        timeout: float,  # noqa: ASYNC109
    ) -> Message:
        """The first of ``messages`` (a room's, say, under ``key``) not yet returned for
        ``key``: each is returned once, in order. Waits until there is one."""
        await self.changed.wait_for(lambda: len(messages()) > self._returned.get(key, 0), timeout)
        index = self._returned.get(key, 0)
        self._returned[key] = index + 1
        return messages()[index]

    def violate(self, kind: str, detail: str, request: web.Request | None = None) -> None:
        """Record a broken rule: ``[kind] METHOD /path: detail`` (the request when known)."""
        where = f" {request.method} {request.path}:" if request is not None else ""
        self.violations.append(f"[{kind}]{where} {detail}")

    def assert_no_violations(self) -> None:
        if self.violations:
            raise SpecViolation(self.violations)


class Answered(Protocol):
    status: int | None
    """The status the double answered with (None: not answered yet)."""


Call = TypeVar("Call", bound=Answered)


class NamedCalls(EmulatedServer[Call]):
    """A double whose calls have names (a Slack method, an AWS operation, a Rocket.Chat
    endpoint): ``calls`` and ``wait_for_calls`` find them by name, the same way on each."""

    def _calls_of(self, name: str) -> Callable[[Call], bool]:
        """Which records are calls of ``name``, as this double names them."""
        raise NotImplementedError

    def _named(self, name: str, status: int | None) -> Callable[[Call], bool]:
        of = self._calls_of(name)
        return lambda r: of(r) and (status is None or r.status == status)

    def calls(self, name: str, *, status: int | None = None) -> list[Call]:
        """The calls of ``name``, in the order they came (``status``: those answered so)."""
        return self.recorded(self._named(name, status))

    async def wait_for_calls(
        self,
        name: str,
        count: int = 1,
        timeout: float = 10.0,  # noqa: ASYNC109
        *,
        status: int | None = None,
    ) -> list[Call]:
        """Wait until at least ``count`` calls of ``name`` have come; returns them."""
        return await self.wait_for_recorded(self._named(name, status), count, timeout)
