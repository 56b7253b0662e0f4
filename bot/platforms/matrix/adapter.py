"""Matrix through matrix-nio: ``/sync`` in, the client-server API out.

Receiving: a ``/sync`` loop. Every ``m.text`` message of a batch is handed to the sink (which
records commands durably) before the batch's ``next_batch`` is written to ``sync_token_file``;
if the sink raises, the same batch is fetched again, so nothing is lost and the dispatcher's
event-id dedupe keeps anything from running twice. On the very first start (no position yet) the
room history is skipped. A ``limited`` timeline (more events than ``timeline_limit`` while kickbot
was away) is filled in from ``/messages`` back to the stored position.

Rank: the server lets a user kick, or change the power level of, only someone strictly below
them. kickbot checks that before calling, for the bot and, when the core passes it, the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
from collections.abc import Awaitable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import structlog
from aiohttp import ClientError
from nio import (
    Api,
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    MessageDirection,
    RoomPreset,
    RoomVisibility,
)
from nio.responses import EmptyResponse

from bot import errors
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef
from bot.platform import InvocationSink, SupportsIbGroups
from bot.platforms.matrix.power import (
    Creation,
    PowerLevels,
    check_may_act,
    check_may_set,
    demoted_content,
    show,
    with_level,
)
from bot.platforms.matrix.state import MatrixSettings, SyncTokenFile, parse_section
from bot.platforms.matrix.text import render, tokens
from bot.reply import Reply

log = structlog.get_logger(__name__)

T = TypeVar("T")


def to_platform_error(resp: Any) -> errors.PlatformError:
    """A nio ``ErrorResponse`` as a ``PlatformError`` (detail = errcode: the server's words)."""
    code = str(getattr(resp, "status_code", None) or "")
    message = str(getattr(resp, "message", "") or "no detail")
    transport = getattr(resp, "transport_response", None)
    status = int(getattr(transport, "status", 0) or 0) or None
    retry_ms = getattr(resp, "retry_after_ms", None)
    body = getattr(resp, "content", None)
    if not code and isinstance(body, dict):  # an error body nio kept as content (see _call)
        code = str(body.get("errcode") or "")
        message = str(body.get("error") or message)
        retry_ms = body.get("retry_after_ms", retry_ms)
    raw: dict[str, Any] = {"errcode": code, "error": message}
    if retry_ms is not None:
        raw["retry_after_ms"] = retry_ms
    response = json.dumps(raw)
    detail = f"{code}: {message}" if code else message
    if code == "M_FORBIDDEN":
        return errors.Forbidden(detail, response=response)
    if code == "M_NOT_FOUND":
        return errors.NotFound(detail, response=response)
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        after = retry_ms / 1000 if isinstance(retry_ms, int | float) else None
        return errors.RateLimited(detail, retry_after=after, response=response)
    if code in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
        return errors.Unauthorized(detail, response=response)
    return errors.from_status(status or 500, detail, response)


async def _call(what: str, call: Awaitable[T]) -> T:
    try:
        resp = await call
    except (ClientError, TimeoutError) as exc:
        raise errors.Unavailable(
            f"cannot reach the homeserver ({what}): {exc!r}", status=503
        ) from exc
    if isinstance(resp, ErrorResponse) or _http_status(resp) >= 400:
        # nio 0.26 returns some error answers as a success type: RoomGetStateEventResponse keeps
        # the error body as the event's content (power levels read as {"errcode": …}).
        raise to_platform_error(resp)
    return resp


def _http_status(resp: Any) -> int:
    return int(getattr(getattr(resp, "transport_response", None), "status", 0) or 0)


class MatrixPlatform:
    name = "matrix"
    command_prefixes: tuple[str, ...] = ("!",)
    unsupported: Mapping[type, str] = MappingProxyType(
        {SupportsIbGroups: "Matrix has no information barriers."}
    )

    def __init__(self, section: dict[str, Any]):
        self.settings: MatrixSettings = parse_section(section)
        s = self.settings
        self._positions = SyncTokenFile(s.sync_token_file, s.user_id, s.homeserver)
        self._client: AsyncClient | None = None
        self._bot: UserRef | None = None
        self._sink: InvocationSink | None = None
        self._feed: asyncio.Task[None] | None = None
        self._creations: dict[str, Creation] = {}
        self._direct_lock = asyncio.Lock()
        """``m.direct`` is read, changed and written whole: one writer at a time."""
        self._filter: dict[str, Any] = {
            "room": {"timeline": {"limit": s.timeline_limit}, "ephemeral": {"types": []}},
            "presence": {"types": []},
            "account_data": {"types": []},
        }

    @property
    def bot_user(self) -> UserRef:
        if self._bot is None:
            raise RuntimeError("the Matrix platform is not started")
        return self._bot

    @property
    def feed(self) -> asyncio.Task[None] | None:
        """The running /sync loop (ends with the error if it dies for good)."""
        return self._feed

    def _nio(self) -> AsyncClient:
        if self._client is None:
            raise RuntimeError("the Matrix platform is not started")
        return self._client

    # --- lifecycle ----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Sign in for outgoing calls only (the command line): nothing is synced, so a bot
        running on the same account keeps its own sync position and events."""
        client = self._new_client()
        try:
            await self._signed_in(client)
        except BaseException:
            await client.close()
            self._client = None
            raise

    def _new_client(self) -> AsyncClient:
        s = self.settings
        config = AsyncClientConfig(
            max_limit_exceeded=s.rate_limit_retries,
            max_timeouts=0,  # a timed-out call may have gone through: never resend it blindly
            request_timeout=s.request_timeout,
            store_sync_tokens=False,
            encryption_enabled=False,
        )
        self._client = AsyncClient(s.homeserver, s.user_id, device_id=s.device_id, config=config)
        return self._client

    async def _signed_in(self, client: AsyncClient) -> None:
        s = self.settings
        await self._login(client)
        profile = await _call("profile", client.get_displayname(s.user_id))
        self._bot = UserRef(s.user_id, getattr(profile, "displayname", None) or None)

    async def start(self, sink: InvocationSink) -> None:
        s = self.settings
        client = self._new_client()
        try:
            await self._signed_in(client)
            self._sink = sink
            since = self._positions.load()
            if since is None and self._positions.path.exists():
                log.warning("sync position is for another account; starting from now")
            # The first /sync of a run carries the full room state, so names are known.
            first = await self._sync(since, full_state=True)
            if since is not None:
                await self._deliver(first, since)
            else:
                await self._invites(first)  # history is not replayed on a first start
            await asyncio.to_thread(self._positions.save, first.next_batch)
        except BaseException:
            await client.close()
            self._client = None
            raise
        self._feed = asyncio.create_task(self._run(first.next_batch), name="matrix-sync")
        log.info("matrix connected", bot=self.bot_user.label, bot_id=s.user_id, resumed=bool(since))

    async def _login(self, client: AsyncClient) -> None:
        s = self.settings
        if s.access_token is not None and s.access_token.get_secret_value():
            client.access_token = s.access_token.get_secret_value()
            who = await _call("whoami", client.whoami())
            if who.user_id != s.user_id:
                raise errors.ConfigError(
                    f"matrix.access_token: the token is for {who.user_id}, not {s.user_id}"
                )
            if who.device_id:
                client.device_id = who.device_id
            return
        assert s.password is not None
        await _call("login", client.login(s.password.get_secret_value(), device_name=s.device_name))

    async def stop(self) -> None:
        if self._feed is not None:
            self._feed.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._feed
            self._feed = None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # --- receiving ----------------------------------------------------------------------------

    async def _sync(self, since: str | None, *, full_state: bool = False) -> Any:
        s = self.settings
        timeout = 0 if full_state or since is None else s.sync_timeout_ms
        return await _call(
            "sync",
            self._nio().sync(
                timeout=timeout, since=since, full_state=full_state, sync_filter=self._filter
            ),
        )

    async def _run(self, since: str) -> None:
        backoff = 0.5
        while True:
            try:
                resp = await self._sync(since)
                await self._deliver(resp, since)
                await asyncio.to_thread(self._positions.save, resp.next_batch)
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

    async def _invites(self, resp: Any) -> None:
        if not self.settings.join_on_invite:
            return
        for room_id in resp.rooms.invite:
            try:
                await _call("join", self._nio().join(room_id))
                log.info("joined a room on invite", room=room_id)
            except errors.PlatformError as err:
                log.warning("could not join a room on invite", room=room_id, error=err.detail)

    async def _deliver(self, resp: Any, since: str) -> None:
        assert self._sink is not None
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
            page = await _call(
                "messages",
                self._nio().room_messages(
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
        room = self._nio().rooms.get(room_id)
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
            or sender == self.bot_user.id
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
            platform=self.name,
            event_id=event_id,
            room=RoomRef(room_id),
            caller=self._user(room_id, sender),
            tokens=tokens(content, lambda uid: self._user(room_id, uid), self.bot_user),
            thread=thread,
        )

    # --- room state -----------------------------------------------------------------------------

    async def _creation(self, room_id: str) -> Creation:
        if room_id not in self._creations:
            state = await _call("state", self._nio().room_get_state(room_id))
            create = next((e for e in state.events if e.get("type") == "m.room.create"), None)
            if create is None:
                raise errors.Unavailable(f"room {room_id} has no create event", status=502)
            self._creations[room_id] = Creation.from_event(create)
        return self._creations[room_id]

    async def _power(self, room_id: str) -> PowerLevels:
        creation = await self._creation(room_id)
        try:
            resp = await _call(
                "power levels", self._nio().room_get_state_event(room_id, "m.room.power_levels")
            )
            content = resp.content if isinstance(resp.content, dict) else {}
        except errors.NotFound:
            content = {}
        return PowerLevels(content, creation)

    async def _joined(self, room_id: str) -> list[UserRef]:
        resp = await _call("members", self._nio().joined_members(room_id))
        return [UserRef(m.user_id, m.display_name or None) for m in resp.members]

    async def room_info(self, room: RoomRef) -> RoomInfo:
        try:
            resp = await _call("name", self._nio().room_get_state_event(room.id, "m.room.name"))
            name = str(resp.content.get("name") or room.id)
        except errors.NotFound:
            name = room.id
        return RoomInfo(room, name, True)

    async def members(self, room: RoomRef) -> Sequence[Member]:
        power = await self._power(room.id)
        bot = self.bot_user.id
        # The bot is not counted as an owner, so "the last owner" means the last person.
        return [
            Member(u, u.id != bot and power.is_owner(u.id)) for u in await self._joined(room.id)
        ]

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        # Matrix ids are not e-mail addresses and a homeserver does not reveal users' e-mails
        # to a client: e-mail targets are reported as unknown.
        return {}

    @property
    def email_lookup_conclusive(self) -> bool:
        return False  # nothing is looked up: an e-mail entry may be anyone

    @property
    def email_access(self) -> str:
        return (
            "A Matrix homeserver never shows a bot users' e-mail addresses: name people by "
            "their Matrix ids (@user:server) in the policy"
        )

    async def power_level(self, room: RoomRef, user: UserRef) -> float:
        """The user's power level in the room (``inf`` for a creator in room version 12+)."""
        return (await self._power(room.id)).level(user.id)

    async def outranks(self, room: RoomRef, actor: UserRef, target: UserRef) -> bool:
        """The server's own rule: strictly higher power level (for a core rank hook)."""
        power = await self._power(room.id)
        return power.level(actor.id) > power.level(target.id)

    # --- changes ------------------------------------------------------------------------------

    def _check_rank(
        self, power: PowerLevels, target: UserRef, action: str, needed: int, caller: UserRef | None
    ) -> None:
        if caller is not None and caller.id != self.bot_user.id:
            check_may_act(
                power, caller.id, target.id, action=action, actor_is_bot=False, needed=power.kick
            )
        check_may_act(
            power, self.bot_user.id, target.id, action=action, actor_is_bot=True, needed=needed
        )

    async def remove_member(
        self,
        room: RoomRef,
        user: UserRef,
        reason: str | None = None,
        *,
        caller: UserRef | None = None,
    ) -> str:
        power = await self._power(room.id)
        self._check_rank(power, user, "kick", power.kick, caller)
        await _call("kick", self._nio().room_kick(room.id, user.id, reason=reason or None))
        return f"200 kicked {user.id}" + (f" (reason: {reason})" if reason else "")

    async def demote_owner(
        self, room: RoomRef, user: UserRef, *, caller: UserRef | None = None
    ) -> str:
        power = await self._power(room.id)
        needed = power.event_level("m.room.power_levels")
        self._check_rank(power, user, "change the power level of", needed, caller)
        people = [u.id for u in await self._joined(room.id) if u.id != self.bot_user.id]
        top, holders = power.top_holders(people)
        if holders == {user.id}:
            raise errors.BadRequest(
                f"{user.id} is the last member with the room's top power level ({show(top)}); "
                "give someone else that level first"
            )
        before = power.level(user.id)
        content = demoted_content(power, user.id)
        await _call(
            "power levels",
            self._nio().room_put_state(room.id, "m.room.power_levels", content),
        )
        return f"200 power level of {user.id}: {show(before)} -> {power.users_default}"

    # --- SupportsUndo -------------------------------------------------------------------------

    async def invite(self, room: RoomRef, user: UserRef) -> str:
        """Matrix cannot make anyone join a room: they are invited and are back once they
        accept (their power level entry stayed in the room's power levels)."""
        power = await self._power(room.id)
        mine = power.level(self.bot_user.id)
        if mine < power.invite:
            raise errors.RuleForbids(
                f"the bot ({self.bot_user.id}) has power level {show(mine)}, below the "
                f"{power.invite} needed to invite in this room"
            )
        await _call("invite", self._nio().room_invite(room.id, user.id))
        return f"200 invited {user.id}"

    async def add_member(self, room: RoomRef, user: UserRef) -> str:
        return await self.invite(room, user)

    async def is_invited(self, room: RoomRef, user: UserRef) -> bool:
        """SupportsPendingInvites: their membership event says ``invite``."""
        return await self._membership(room.id, user.id) == "invite"

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        """Owner again = at least the room's kick level (used when the level taken away is not
        known, e.g. a demotion confirmed after a restart, or a kicked owner invited back)."""
        power = await self._power(room.id)
        return await self._raise_level(room, power, user, power.kick)

    async def owner_level(self, room: RoomRef, user: UserRef) -> int | None:
        """The level a demotion takes away (None for a creator: nobody can demote them)."""
        level = (await self._power(room.id)).level(user.id)
        return None if math.isinf(level) else int(level)

    async def restore_owner_level(self, room: RoomRef, user: UserRef, level: int) -> str:
        return await self._raise_level(room, await self._power(room.id), user, level)

    async def _raise_level(
        self, room: RoomRef, power: PowerLevels, user: UserRef, level: int
    ) -> str:
        current = power.level(user.id)
        if current >= level:  # given back already (or more) by someone else: leave it
            return f"200 power level of {user.id} is already {show(current)}"
        check_may_set(power, self.bot_user.id, user.id, level)
        content = with_level(power, user.id, level)
        await _call(
            "power levels", self._nio().room_put_state(room.id, "m.room.power_levels", content)
        )
        return f"200 power level of {user.id}: {show(current)} -> {level}"

    # --- SupportsUserRooms --------------------------------------------------------------------

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """The rooms the bot has joined where ``user`` has joined too, except the bot's direct
        rooms (``m.direct``): they are how it tells people they were removed."""
        joined = await _call("joined rooms", self._nio().joined_rooms())
        direct = {r for ids in (await self._direct_map()).values() for r in ids}
        rooms = []
        for room_id in joined.rooms:
            if room_id in direct:
                continue
            if any(u.id == user.id for u in await self._joined(room_id)):
                rooms.append(await self.room_info(RoomRef(room_id)))
        return rooms

    # --- SupportsDirectMessage ----------------------------------------------------------------

    async def send_direct(self, user: UserRef, reply: Reply) -> None:
        async with self._direct_lock:
            room_id = await self._direct_room(user.id)
        await _call(
            "send", self._nio().room_send(room_id, "m.room.message", _notice_content(reply))
        )

    async def _direct_room(self, user_id: str) -> str:
        """The bot's direct room with ``user_id``: the newest one recorded in the bot's
        ``m.direct`` account data that still reaches them, else a new private room created
        with ``is_direct`` inviting them, then recorded in ``m.direct``."""
        direct = await self._direct_map()
        for room_id in reversed(direct.get(user_id, [])):
            if await self._reaches(room_id, user_id):
                return room_id
        created = await _call(
            "create a direct room",
            self._nio().room_create(
                visibility=RoomVisibility.private, preset=RoomPreset.private_chat, is_direct=True
            ),
        )
        await self._invite_direct(str(created.room_id), user_id)
        direct[user_id] = [*direct.get(user_id, []), created.room_id]
        client = self._nio()
        # nio has no setter for account data; its own request path keeps its retries and
        # error parsing (the GET path of list_direct_rooms is the PUT path too).
        _method, path = Api.direct_room_list(client.access_token, self.bot_user.id)
        await _call("m.direct", client._send(EmptyResponse, "PUT", path, Api.to_json(direct)))
        return str(created.room_id)

    async def _invite_direct(self, room_id: str, user_id: str) -> None:
        """Invite ``user_id`` into the new direct room (an invite marked ``is_direct``, as
        ``createRoom`` would make it). Invited apart from the creation so that a refused invite
        (someone who blocks invites) leaves no empty room behind: the bot leaves and forgets it."""
        client = self._nio()
        content = {"membership": "invite", "is_direct": True}
        try:
            await _call("invite", client.room_put_state(room_id, "m.room.member", content, user_id))
        except errors.PlatformError:
            with contextlib.suppress(errors.PlatformError):
                await _call("leave", client.room_leave(room_id))
                await _call("forget", client.room_forget(room_id))
            raise

    async def _direct_map(self) -> dict[str, list[str]]:
        try:
            resp = await _call("m.direct", self._nio().list_direct_rooms())
        except errors.NotFound:
            return {}  # never set
        rooms = getattr(resp, "rooms", None)
        if not isinstance(rooms, dict):
            return {}
        return {
            str(user): [str(r) for r in ids if isinstance(r, str)]
            for user, ids in rooms.items()
            if isinstance(ids, list)
        }

    async def _membership(self, room_id: str, user_id: str) -> str | None:
        try:
            resp = await _call(
                "membership", self._nio().room_get_state_event(room_id, "m.room.member", user_id)
            )
        except (errors.Forbidden, errors.NotFound):
            return None
        content = resp.content if isinstance(resp.content, dict) else {}
        membership = content.get("membership")
        return membership if isinstance(membership, str) else None

    async def _reaches(self, room_id: str, user_id: str) -> bool:
        """Whether a recorded direct room still reaches ``user_id``: the bot is joined, and
        they are joined or invited (one who left is invited again; one who is banned is not)."""
        if await self._membership(room_id, self.bot_user.id) != "join":
            return False
        theirs = await self._membership(room_id, user_id)
        if theirs in ("join", "invite"):
            return True
        if theirs != "leave":
            return False
        try:
            await _call("invite", self._nio().room_invite(room_id, user_id))
        except errors.PlatformError as err:
            log.info("a recorded direct room no longer reaches", room=room_id, error=err.detail)
            return False
        return True

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        content = _notice_content(reply)
        body = str(content["body"])
        if inv.thread is not None:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": inv.thread,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": inv.event_id},
            }
        else:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": inv.event_id}}
        # The same reply to the same command gets the same transaction id: a resend after a
        # timeout or a re-run is deduplicated by the homeserver instead of posted twice.
        digest = hashlib.sha256(f"{inv.event_id}\n{body}".encode()).hexdigest()[:32]
        await _call(
            "send",
            self._nio().room_send(inv.room.id, "m.room.message", content, tx_id=f"kb{digest}"),
        )


def _notice_content(reply: Reply) -> dict[str, Any]:
    """An ``m.notice`` with plain and HTML bodies; only kickbot's own mentions ping."""
    body, formatted, mentioned = render(reply)
    return {
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        "m.mentions": {"user_ids": mentioned},
    }
