"""Matrix through matrix-nio: ``/sync`` in (``sync``), the client-server API out.

Beside it: ``calls`` (a call's error answer; the session the parts share), ``rooms`` (reading
a room's state), ``sync`` (receiving), ``direct`` (direct messages), ``power`` (power levels and
rank checks), ``text`` (rendering and reading messages), ``state`` (settings and the ``/sync``
position).

Rank: the server lets a user kick, or change the power level of, only someone strictly below
them. kickbot checks that before calling, for the bot and, when the core passes it, the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import structlog
from nio import AsyncClient, AsyncClientConfig

from bot import errors
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef
from bot.platform import InvocationSink, SupportsIbGroups
from bot.platforms.matrix.calls import Session, call
from bot.platforms.matrix.direct import DirectRooms, notice_content
from bot.platforms.matrix.power import (
    PowerLevels,
    check_may_act,
    check_may_set,
    demoted_content,
    show,
    with_level,
)
from bot.platforms.matrix.rooms import RoomState
from bot.platforms.matrix.state import MatrixSettings, parse_section
from bot.platforms.matrix.sync import SyncFeed
from bot.reply import Reply

log = structlog.get_logger(__name__)


class MatrixPlatform:
    name = "matrix"
    command_prefixes: tuple[str, ...] = ("!",)
    unsupported: Mapping[type, str] = MappingProxyType(
        {SupportsIbGroups: "Matrix has no information barriers."}
    )

    def __init__(self, section: dict[str, Any]):
        self.settings: MatrixSettings = parse_section(section)
        self._session = Session()
        self._rooms = RoomState(self._session)
        self._direct = DirectRooms(self._session, self._rooms)
        self._feed: asyncio.Task[None] | None = None

    @property
    def bot_user(self) -> UserRef:
        return self._session.bot_user

    @property
    def feed(self) -> asyncio.Task[None] | None:
        """The running /sync loop (ends with the error if it dies for good)."""
        return self._feed

    def _nio(self) -> AsyncClient:
        return self._session.nio()

    # --- lifecycle ----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Sign in for outgoing calls only (the command line): nothing is synced, so a bot
        running on the same account keeps its own sync position and events."""
        client = self._new_client()
        try:
            await self._signed_in(client)
        except BaseException:
            await client.close()
            self._session.client = None
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
        client = AsyncClient(s.homeserver, s.user_id, device_id=s.device_id, config=config)
        self._session.client = client
        return client

    async def _signed_in(self, client: AsyncClient) -> None:
        s = self.settings
        await self._login(client)
        profile = await call("profile", client.get_displayname(s.user_id))
        self._session.bot = UserRef(s.user_id, getattr(profile, "displayname", None) or None)

    async def start(self, sink: InvocationSink) -> None:
        client = self._new_client()
        feed = SyncFeed(self.settings, self._session, sink)
        try:
            await self._signed_in(client)
            since, resumed = await feed.first()
        except BaseException:
            await client.close()
            self._session.client = None
            raise
        self._feed = asyncio.create_task(feed.run(since), name="matrix-sync")
        log.info(
            "matrix connected",
            bot=self.bot_user.label,
            bot_id=self.settings.user_id,
            resumed=resumed,
        )

    async def connection_problem(self) -> str | None:
        """Connected (``ReportsConnection``): the /sync loop runs and the homeserver answers
        the bot's token (``whoami``)."""
        if self._feed is None or self._feed.done():
            return "/sync is not being read"
        try:
            await call("whoami", self._nio().whoami())
        except errors.PlatformError as err:
            return f"the homeserver does not answer ({err})"
        return None

    async def _login(self, client: AsyncClient) -> None:
        s = self.settings
        if s.access_token is not None and s.access_token.get_secret_value():
            client.access_token = s.access_token.get_secret_value()
            who = await call("whoami", client.whoami())
            if who.user_id != s.user_id:
                raise errors.ConfigError(
                    f"matrix.access_token: the token is for {who.user_id}, not {s.user_id}"
                )
            if who.device_id:
                client.device_id = who.device_id
            return
        assert s.password is not None
        await call("login", client.login(s.password.get_secret_value(), device_name=s.device_name))

    async def stop(self) -> None:
        if self._feed is not None:
            self._feed.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._feed
            self._feed = None

    async def close(self) -> None:
        if self._session.client is not None:
            await self._session.client.close()
            self._session.client = None

    # --- room state -----------------------------------------------------------------------------

    async def room_info(self, room: RoomRef) -> RoomInfo:
        try:
            resp = await call("name", self._nio().room_get_state_event(room.id, "m.room.name"))
            name = str(resp.content.get("name") or room.id)
        except errors.NotFound:
            name = room.id
        return RoomInfo(room, name, True)

    async def members(self, room: RoomRef) -> Sequence[Member]:
        power = await self._rooms.power(room.id)
        bot = self.bot_user.id
        # The bot is not counted as an owner, so "the last owner" means the last person.
        return [
            Member(u, u.id != bot and power.is_owner(u.id))
            for u in await self._rooms.joined(room.id)
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
        return (await self._rooms.power(room.id)).level(user.id)

    async def outranks(self, room: RoomRef, actor: UserRef, target: UserRef) -> bool:
        """The server's own rule: strictly higher power level (for a core rank hook)."""
        power = await self._rooms.power(room.id)
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
        power = await self._rooms.power(room.id)
        self._check_rank(power, user, "kick", power.kick, caller)
        await call("kick", self._nio().room_kick(room.id, user.id, reason=reason or None))
        return f"200 kicked {user.id}" + (f" (reason: {reason})" if reason else "")

    async def demote_owner(
        self, room: RoomRef, user: UserRef, *, caller: UserRef | None = None
    ) -> str:
        power = await self._rooms.power(room.id)
        needed = power.event_level("m.room.power_levels")
        self._check_rank(power, user, "change the power level of", needed, caller)
        people = [u.id for u in await self._rooms.joined(room.id) if u.id != self.bot_user.id]
        top, holders = power.top_holders(people)
        if holders == {user.id}:
            raise errors.BadRequest(
                f"{user.id} is the last member with the room's top power level ({show(top)}); "
                "give someone else that level first"
            )
        before = power.level(user.id)
        content = demoted_content(power, user.id)
        await call(
            "set power levels",
            self._nio().room_put_state(room.id, "m.room.power_levels", content),
        )
        return f"200 power level of {user.id}: {show(before)} -> {power.users_default}"

    # --- SupportsUndo -------------------------------------------------------------------------

    async def invite(self, room: RoomRef, user: UserRef) -> str:
        """Matrix cannot make anyone join a room: they are invited and are back once they
        accept (their power level entry stayed in the room's power levels)."""
        power = await self._rooms.power(room.id)
        mine = power.level(self.bot_user.id)
        if mine < power.invite:
            raise errors.RuleForbids(
                f"the bot ({self.bot_user.id}) has power level {show(mine)}, below the "
                f"{power.invite} needed to invite in this room"
            )
        await call("invite", self._nio().room_invite(room.id, user.id))
        return f"200 invited {user.id}"

    async def add_member(self, room: RoomRef, user: UserRef, kind: str | None = None) -> str:
        """An invite (one kind of membership: ``kind`` is never set here)."""
        return await self.invite(room, user)

    async def is_invited(self, room: RoomRef, user: UserRef) -> bool:
        """SupportsPendingInvites: their membership event says ``invite``."""
        return await self._rooms.membership(room.id, user.id) == "invite"

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        """Owner again = at least the room's kick level (used when the level taken away is not
        known, e.g. a demotion confirmed after a restart, or a kicked owner invited back)."""
        power = await self._rooms.power(room.id)
        return await self._raise_level(room, power, user, power.kick)

    async def owner_level(self, room: RoomRef, user: UserRef) -> int | None:
        """The level a demotion takes away (None for a creator: nobody can demote them)."""
        level = (await self._rooms.power(room.id)).level(user.id)
        return None if math.isinf(level) else int(level)

    async def restore_owner_level(self, room: RoomRef, user: UserRef, level: int) -> str:
        return await self._raise_level(room, await self._rooms.power(room.id), user, level)

    async def _raise_level(
        self, room: RoomRef, power: PowerLevels, user: UserRef, level: int
    ) -> str:
        current = power.level(user.id)
        if current >= level:  # given back already (or more) by someone else: leave it
            return f"200 power level of {user.id} is already {show(current)}"
        check_may_set(power, self.bot_user.id, user.id, level)
        content = with_level(power, user.id, level)
        await call(
            "set power levels", self._nio().room_put_state(room.id, "m.room.power_levels", content)
        )
        return f"200 power level of {user.id}: {show(current)} -> {level}"

    # --- SupportsUserRooms --------------------------------------------------------------------

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """The rooms the bot has joined where ``user`` has joined too, except the bot's direct
        rooms (``m.direct``): they are how it tells people they were removed."""
        joined = await call("joined rooms", self._nio().joined_rooms())
        direct = {r for ids in (await self._direct.rooms()).values() for r in ids}
        rooms = []
        for room_id in joined.rooms:
            if room_id in direct:
                continue
            if any(u.id == user.id for u in await self._rooms.joined(room_id)):
                rooms.append(await self.room_info(RoomRef(room_id)))
        return rooms

    # --- SupportsDirectMessage ----------------------------------------------------------------

    async def send_direct(self, user: UserRef, reply: Reply) -> None:
        await self._direct.send(user, reply)

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        content = notice_content(reply)
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
        await call(
            "send",
            self._nio().room_send(inv.room.id, "m.room.message", content, tx_id=f"kb{digest}"),
        )
