"""What an all-platform command reaches: the running app's platforms, how to find one person on
each of them, and how long a platform that is down is tried again.

Built once by the ``Dispatcher`` (``Desk.reach``, lent to handlers as ``Checks.reach``); its
``platforms`` is the dispatcher's own map, so a platform attached later is reached too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field

from bot.errors import PlatformError, RateLimited, Unavailable
from bot.everywhere.identities import IdentityMap
from bot.model import UserRef
from bot.platform import Platform
from bot.platforms import PLUGINS

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Retry:
    """How a platform that is down (no answer, a 5xx, a 429) is tried again: after ``first``
    seconds, each wait twice the one before (at most ``longest``), for ``within`` seconds in
    all; 0: not tried again."""

    first: float = 5.0
    longest: float = 300.0
    within: float = 1800.0

    def delays(self) -> Iterator[float]:
        """The waits before each new try, in order, until ``within`` is spent."""
        spent, wait = 0.0, self.first
        while self.within > 0 and wait > 0 and spent + wait <= self.within:
            yield wait
            spent += wait
            wait = min(wait * 2, self.longest)


def transient(err: PlatformError) -> bool:
    """Whether trying again later may help: the platform did not answer, failed (5xx), or
    asked to slow down. A refusal (4xx) stands."""
    return isinstance(err, Unavailable | RateLimited)


@dataclass(slots=True)
class Reach:
    platforms: Mapping[str, Platform]
    """The app's platforms by name (the dispatcher's live map)."""
    identities: IdentityMap = field(default_factory=IdentityMap)
    retry: Retry = field(default_factory=Retry)
    sleep: Sleep = asyncio.sleep

    def ordered(self) -> list[Platform]:
        """The platforms in the registry's order (a report lists them the same way each time)."""
        rank = {name: n for n, name in enumerate(PLUGINS.names)}
        return sorted(self.platforms.values(), key=lambda p: (rank.get(p.name, len(rank)), p.name))

    async def find(self, platform: Platform, email: str) -> UserRef | None:
        """The person with ``email`` on ``platform``: the identity map's id there if it names
        one, else the platform's own look-up by e-mail (None: unknown there). Raises
        PlatformError when the look-up fails."""
        email = email.lower()
        mapped = self.identities.id_on(email, platform.name)
        if mapped is not None:
            return UserRef(mapped, None, email)
        found = (await platform.find_users_by_email([email])).get(email)
        if found is None:
            return None
        return found if found.email else UserRef(found.id, found.display, email)
