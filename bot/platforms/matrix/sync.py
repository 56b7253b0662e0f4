"""Receiving: the ``/sync`` loop. Every ``m.text`` message of a batch is handed to the sink
(which records commands durably) before the batch's ``next_batch`` is written to
``sync_token_file``; if the sink raises, the same batch is fetched again, so nothing is lost and
the dispatcher's event-id dedupe keeps anything from running twice. On the very first start (no
position yet) the room history is skipped. A ``limited`` timeline (more events than
``timeline_limit`` while kickbot was away) is filled in from ``/messages`` back to the stored
position."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from nio import MessageDirection

from bot import errors
from bot.model import Invocation, RoomRef, UserRef
from bot.platform import InvocationSink
from bot.platforms.matrix.calls import Session, call
from bot.platforms.matrix.state import MatrixSettings, SyncTokenFile
from bot.platforms.matrix.text import tokens

log = structlog.get_logger(__name__)

PLATFORM = "matrix"


class SyncFeed:
    def __init__(self, settings: MatrixSettings, session: Session, sink: InvocationSink) -> None:
        self.settings = settings
        self._session = session
        self._sink = sink
        s = settings
        self.positions = SyncTokenFile(s.sync_token_file, s.user_id, s.homeserver)
        self._filter: dict[str, Any] = {
            "room": {"timeline": {"limit": s.timeline_limit}, "ephemeral": {"types": []}},
            "presence": {"types": []},
            "account_data": {"types": []},
        }

    async def first(self) -> tuple[str, bool]:
        """The run's first ``/sync``, with the full room state (so names are known): delivered
        from the stored position, or (none yet) only its invites, the history not replayed.
        Its ``next_batch``, saved, and whether a position was resumed."""
        since = self.positions.load()
        if since is None and self.positions.path.exists():
            log.warning("sync position is for another account; starting from now")
        first = await self._sync(since, full_state=True)
        if since is not None:
            await self._deliver(first, since)
        else:
            await self._invites(first)
        await asyncio.to_thread(self.positions.save, first.next_batch)
        return str(first.next_batch), since is not None

    async def run(self, since: str) -> None:
        backoff = 0.5
        while True:
            try:
                resp = await self._sync(since)
                await self._deliver(resp, since)
                await asyncio.to_thread(self.positions.save, resp.next_batch)
                since = resp.next_batch
                backoff = 0.5
            except errors.Unauthorized:
                log.error("matrix session refused; the /sync loop stops")
                raise
            except Exception as exc:
                # Not saved: the same batch comes again, and recorded events are deduped.
                log.error("matrix sync failed; retrying", error=repr(exc), in_s=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)

    async def _sync(self, since: str | None, *, full_state: bool = False) -> Any:
        s = self.settings
        timeout = 0 if full_state or since is None else s.sync_timeout_ms
        return await call(
            "sync",
            self._session.nio().sync(
                timeout=timeout, since=since, full_state=full_state, sync_filter=self._filter
            ),
        )

    async def _invites(self, resp: Any) -> None:
        if not self.settings.join_on_invite:
            return
        for room_id in resp.rooms.invite:
            try:
                await call("join", self._session.nio().join(room_id))
                log.info("joined a room on invite", room=room_id)
            except errors.PlatformError as err:
                log.warning("could not join a room on invite", room=room_id, error=err.detail)

    async def _deliver(self, resp: Any, since: str) -> None:
        await self._invites(resp)
        for room_id, info in resp.rooms.join.items():
            events = [e.source for e in info.timeline.events if isinstance(e.source, dict)]
            if info.timeline.limited and info.timeline.prev_batch:
                seen = {e.get("event_id") for e in events}
                older = await self._gap(room_id, info.timeline.prev_batch, since)
                events = [e for e in older if e.get("event_id") not in seen] + events
            for event in events:
                inv = self._invocation(room_id, event)
                if inv is not None:
                    await self._sink(inv)

    async def _gap(self, room_id: str, start: str, since: str) -> list[dict[str, Any]]:
        """Messages between the stored position and a limited timeline, oldest first."""
        found: list[dict[str, Any]] = []
        while True:
            page = await call(
                "messages",
                self._session.nio().room_messages(
                    room_id,
                    start=start,
                    end=since,
                    direction=MessageDirection.back,
                    limit=100,
                    message_filter={"types": ["m.room.message"]},
                ),
            )
            found.extend(e.source for e in page.chunk if isinstance(e.source, dict))
            if not page.chunk or not page.end or page.end == start:
                break
            start = page.end
        log.info("filled a sync gap", room=room_id, events=len(found))
        return list(reversed(found))

    def _user(self, room_id: str, user_id: str) -> UserRef:
        room = self._session.nio().rooms.get(room_id)
        user = room.users.get(user_id) if room is not None else None
        name = getattr(user, "display_name", None)
        return UserRef(user_id, name if isinstance(name, str) and name else None)

    def _invocation(self, room_id: str, event: dict[str, Any]) -> Invocation | None:
        content = event.get("content")
        sender = event.get("sender")
        event_id = event.get("event_id")
        if (
            event.get("type") != "m.room.message"
            or not isinstance(content, dict)
            or content.get("msgtype") != "m.text"
            or not isinstance(sender, str)
            or not isinstance(event_id, str)
            or sender == self._session.bot_user.id
        ):
            return None
        rel = content.get("m.relates_to")
        rel = rel if isinstance(rel, dict) else {}
        rel_type = rel.get("rel_type")
        if rel_type == "m.replace":
            return None  # an edit: acting on edits would run a command twice
        if rel_type == "m.thread" and isinstance(rel.get("event_id"), str):
            thread: str | None = rel["event_id"]
        else:
            # Only an event without a relation can root a new thread.
            thread = None if rel_type else event_id
        return Invocation(
            platform=PLATFORM,
            event_id=event_id,
            room=RoomRef(room_id),
            caller=self._user(room_id, sender),
            tokens=tokens(content, lambda uid: self._user(room_id, uid), self._session.bot_user),
            thread=thread,
        )
