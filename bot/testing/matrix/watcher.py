"""``Watcher`` follows one account's ``/sync`` so a test can await the bot's reply."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.testing.matrix.homeserver import Account, Homeserver


@dataclass(frozen=True, slots=True)
class Seen:
    """A message event as a room member received it."""

    room: str
    event: Mapping[str, Any]

    @property
    def sender(self) -> str:
        return str(self.event.get("sender"))

    @property
    def event_id(self) -> str:
        return str(self.event.get("event_id"))

    @property
    def content(self) -> Mapping[str, Any]:
        c = self.event.get("content")
        return c if isinstance(c, dict) else {}

    @property
    def body(self) -> str:
        return str(self.content.get("body", ""))

    @property
    def html(self) -> str:
        return str(self.content.get("formatted_body", ""))

    @property
    def relates_to(self) -> Mapping[str, Any]:
        r = self.content.get("m.relates_to")
        return r if isinstance(r, dict) else {}

    @property
    def in_reply_to(self) -> str | None:
        r = self.relates_to.get("m.in_reply_to")
        return str(r.get("event_id")) if isinstance(r, dict) else None


class Watcher:
    """Follows one account's ``/sync`` (long-poll) so a test can await messages."""

    def __init__(self, hs: Homeserver, who: Account):
        self.hs = hs
        self.who = who
        self.seen: list[Seen] = []
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        first = await self._sync(None, 0)  # from now on: earlier history is not of interest
        self._task = asyncio.create_task(self._run(first["next_batch"]), name="watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __aenter__(self) -> Watcher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _sync(self, since: str | None, timeout_ms: int) -> Any:
        params = {"timeout": str(timeout_ms), "filter": '{"room":{"timeline":{"limit":100}}}'}
        if since:
            params["since"] = since
        return await self.hs.request(self.who, "GET", "/_matrix/client/v3/sync", params=params)

    async def _run(self, since: str) -> None:
        while True:
            data = await self._sync(since, 30_000)
            since = data["next_batch"]
            new = [
                Seen(room, ev)
                for room, info in data.get("rooms", {}).get("join", {}).items()
                for ev in info.get("timeline", {}).get("events", [])
                if ev.get("type") == "m.room.message"
            ]
            if new:
                async with self._changed:
                    self.seen.extend(new)
                    self._changed.notify_all()

    async def wait_for(self, match: Callable[[Seen], bool], timeout: float = 20.0) -> Seen:  # noqa: ASYNC109
        async def find() -> Seen:
            async with self._changed:
                while True:
                    for s in self.seen:
                        if match(s):
                            return s
                    await self._changed.wait()

        return await asyncio.wait_for(find(), timeout)

    async def reply_to(self, event_id: str, timeout: float = 20.0) -> Seen:  # noqa: ASYNC109
        """The first message answering ``event_id`` (``m.in_reply_to``)."""
        return await self.wait_for(lambda s: s.in_reply_to == event_id, timeout)

    def replies_to(self, event_id: str) -> list[Seen]:
        return [s for s in self.seen if s.in_reply_to == event_id]

    def from_user(self, user_id: str) -> list[Seen]:
        return [s for s in self.seen if s.sender == user_id]


# --- between kickbot and Synapse ------------------------------------------------------------
