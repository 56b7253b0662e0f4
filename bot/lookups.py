"""Read-only lookups a command needs first, begun before it needs them.

A command in a room starts by reading the room (is it active?) and, if it acts on members,
the room's member list. Both are reads, allowed once the static policy has let the caller
through, so they are made side by side; for a command that finds its room's lane idle, while
the command is still being recorded. The user waits for one round trip where there were two,
and the record's commit is no longer on the way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.model import Member, RoomInfo, RoomRef
from bot.platform import Platform

T = TypeVar("T")


def begun(call: Awaitable[T]) -> asyncio.Task[T]:
    """``call`` under way as a task whose failure, if nobody awaits it, is not logged."""
    task = asyncio.ensure_future(call)
    # A lookup nobody waits for in the end (the room is deactivated, the command was refused)
    # must not log "exception was never retrieved".
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    return task


@dataclass(slots=True)
class Lookups:
    room: asyncio.Task[RoomInfo] | None = None
    members: asyncio.Task[Sequence[Member]] | None = None

    @classmethod
    def begin(cls, platform: Platform, room: RoomRef, *, members: bool) -> Lookups:
        """The room's info and, if ``members``, its member list, both under way."""
        return cls(
            begun(platform.room_info(room)),
            begun(platform.members(room)) if members else None,
        )

    async def member_map(self) -> dict[str, Member] | None:
        """The member list by user id (None: not looked up). Raises the lookup's
        ``PlatformError``: the command needs the list, and nothing is changed without it."""
        if self.members is None:
            return None
        return {m.user.id: m for m in await self.members}

    def drop(self) -> None:
        """Stop what is still under way (nothing will use it)."""
        for task in (self.room, self.members):
            if task is not None and not task.done():
                task.cancel()
