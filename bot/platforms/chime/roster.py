"""Rooms' member lists, kept briefly to map event senders (e-mails) to member ids.

One lookup per room at a time: an event that gives up waiting (Chime wants an answer within 2 s)
leaves the lookup running, so Chime's retry of the same event finds the list ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import structlog

from bot.model import Member, UserRef

log = structlog.get_logger(__name__)

Fetch = Callable[[str], Awaitable[list[Member]]]


class Roster:
    def __init__(self, fetch: Fetch, ttl_seconds: float) -> None:
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._lists: dict[str, tuple[float, list[Member]]] = {}
        self._loading: dict[str, asyncio.Task[list[Member]]] = {}

    def put(self, room_id: str, members: list[Member]) -> None:
        self._lists[room_id] = (time.monotonic(), members)

    def recent(self, room_id: str, seconds: float) -> list[Member] | None:
        """The room's list if it was loaded at most ``seconds`` ago (else None)."""
        kept = self._lists.get(room_id)
        if kept is not None and time.monotonic() - kept[0] <= seconds:
            return kept[1]
        return None

    def forget(self, room_id: str) -> None:
        self._lists.pop(room_id, None)

    async def get(self, room_id: str, *, fresh: bool = False) -> list[Member]:
        kept = self._lists.get(room_id)
        if not fresh and kept is not None and time.monotonic() - kept[0] <= self._ttl:
            return kept[1]
        task = self._loading.get(room_id)
        if task is None:
            task = asyncio.create_task(self._load(room_id), name=f"chime-roster:{room_id}")
            task.add_done_callback(_consume)
            self._loading[room_id] = task
        return await asyncio.shield(task)

    async def by_email(self, room_id: str, *, want: str) -> dict[str, UserRef]:
        """Members by lower-cased e-mail; looks again once if ``want`` is not in a kept list."""
        kept = self._lists.get(room_id)
        cached = kept is not None and time.monotonic() - kept[0] <= self._ttl
        people = _index(await self.get(room_id))
        if want not in people and cached:
            people = _index(await self.get(room_id, fresh=True))
        return people

    async def _load(self, room_id: str) -> list[Member]:
        try:
            members = await self._fetch(room_id)
            self.put(room_id, members)
            return members
        finally:
            self._loading.pop(room_id, None)

    async def close(self) -> None:
        tasks = list(self._loading.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task


def _index(members: list[Member]) -> dict[str, UserRef]:
    return {m.user.email.lower(): m.user for m in members if m.user.email}


def _consume(task: asyncio.Task[list[Member]]) -> None:
    # Nobody may be waiting any more (the event answered 503): log instead of "never retrieved".
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("room member lookup failed", error=repr(exc))
