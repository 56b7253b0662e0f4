"""Symphony through symphony-bdk-python: datafeed v2 in (``datafeed``), StreamService and
friends out. Removals run outside the datafeed loop.

Beside it: ``calls`` (ids, errors, the generated APIs), ``config`` (the BDK section, checked),
``datafeed`` (receiving), ``ib_groups`` (Information Barrier groups), ``text`` (tokens in,
MessageML out).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import structlog
from symphony.bdk.core.config.loader import BdkConfigLoader
from symphony.bdk.core.service.stream.stream_service import StreamService
from symphony.bdk.core.symphony_bdk import SymphonyBdk
from symphony.bdk.gen.pod_model.stream_filter import StreamFilter
from symphony.bdk.gen.pod_model.stream_type import StreamType

from bot import errors
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef
from bot.platform import InvocationSink
from bot.platforms.started import started
from bot.platforms.symphony.calls import PodClients, pod_call, to_platform_error, url_safe_id
from bot.platforms.symphony.config import check_section
from bot.platforms.symphony.datafeed import Datafeed
from bot.platforms.symphony.ib_groups import IbGroups
from bot.platforms.symphony.text import render
from bot.reply import Reply

log = structlog.get_logger(__name__)

USERS_PER_LOOKUP = 100
"""The most ids ``GET /pod/v3/users`` takes at once."""


class SymphonyPlatform:
    name = "symphony"
    command_prefixes: tuple[str, ...] = ("/",)
    unsupported: Mapping[type, str] = MappingProxyType({})

    def __init__(self, section: dict[str, Any]):
        check_section(section)
        try:
            self._config = BdkConfigLoader.load_from_content(json.dumps(section))
        except Exception as exc:
            raise errors.ConfigError(f"symphony: the BDK refused this config: {exc}") from exc
        self._bdk: SymphonyBdk | None = None
        self._bot: UserRef | None = None
        self._clients = PodClients()
        self._ib_groups = IbGroups(self._clients)
        self._feed: Datafeed | None = None
        self.rooms_page_size = 1000
        """Streams per call of the admin user-streams list (the API allows up to 1000)."""

    @property
    def bot_user(self) -> UserRef:
        return started(self._bot, "Symphony")

    def room_key(self, written: str) -> str:
        """Stream ids as events carry them: URL-safe base64 (config may name the standard form)."""
        return url_safe_id(written)

    @property
    def feed(self) -> asyncio.Task[None] | None:
        """The running datafeed loop (ends with the error if it dies)."""
        return None if self._feed is None else self._feed.task

    def _sdk(self) -> SymphonyBdk:
        return started(self._bdk, "Symphony")

    async def connect(self) -> None:
        """Sign in for outgoing calls only (the command line): no datafeed is read, so the
        events of a bot running on the same service account are left to it."""
        bdk = SymphonyBdk(self._config)
        self._bdk = bdk
        bdk.extensions().register(self._clients)
        try:
            session = await bdk.sessions().get_session()
        except Exception as exc:
            await bdk.close_clients()
            raise to_platform_error(exc) from exc
        self._bot = UserRef(str(session.id), session.display_name, session.email_address)

    async def start(self, sink: InvocationSink) -> None:
        await self.connect()
        self._feed = Datafeed(self._sdk(), sink)
        log.info("symphony connected", bot=self.bot_user.label, bot_id=self.bot_user.id)

    async def connection_problem(self) -> str | None:
        """Connected (``ReportsConnection``): the datafeed loop runs and the pod answers the
        bot's session (``GET /pod/v2/sessioninfo``); the BDK's own retries hide a lost agent
        from the loop for minutes, so the pod is asked."""
        if self._feed is None or self._feed.task.done():
            return "the datafeed is not being read"
        try:
            await self._sdk().sessions().get_session()
        except Exception as exc:
            return f"the pod does not answer ({to_platform_error(exc)})"
        return None

    async def stop(self) -> None:
        if self._feed is not None:
            await self._feed.stop()
            self._feed = None

    async def close(self) -> None:
        if self._bdk is not None:
            await self._bdk.close_clients()
            self._bdk = None

    async def room_info(self, room: RoomRef) -> RoomInfo:
        detail = await pod_call(
            "roomInfo", self._sdk().streams().get_room_info(url_safe_id(room.id))
        )
        attrs, system = detail.room_attributes, detail.room_system_info
        return RoomInfo(
            room,
            (attrs.name if attrs else None) or room.id,
            bool(system.active) if system and system.active is not None else True,
        )

    async def members(self, room: RoomRef) -> Sequence[Member]:
        found = await pod_call(
            "roomMembers", self._sdk().streams().list_room_members(url_safe_id(room.id))
        )
        return [Member(UserRef(str(m.id)), bool(m.owner)) for m in found or []]

    async def external_members(self, room: RoomRef) -> set[str]:
        """Through the admin membership list, the only one that says who is external."""
        try:
            pages = (
                await self._sdk()
                .streams()
                .list_all_stream_members(url_safe_id(room.id), chunk_size=1000)
            )
            return {str(m.user.user_id) async for m in pages if m.user and m.user.is_external}
        except Exception as exc:
            raise to_platform_error(exc) from exc

    # --- SupportsUserRooms --------------------------------------------------------------------

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """Every room ``user`` is a member of, active or not, through the admin list of the
        user's streams (User Provisioning, the role that also lets the bot act in any room);
        the list carries each room's name. Paged ``rooms_page_size`` at a time."""
        wanted = StreamFilter(stream_types=[StreamType(type="ROOM")], include_inactive_streams=True)
        streams = self._sdk().streams()
        try:
            pages = await streams.list_all_user_streams_admin(
                int(user.id), wanted, chunk_size=self.rooms_page_size
            )
            found = [s async for s in pages]
        except Exception as exc:
            raise to_platform_error(exc) from exc
        rooms = []
        for s in found:
            kind = s.stream_type.type if s.stream_type else None
            if kind != "ROOM" or not s.id:
                continue
            room = RoomRef(url_safe_id(s.id))
            name = s.room_attributes.name if s.room_attributes else None
            rooms.append(RoomInfo(room, name or room.id, s.active is not False))
        return rooms

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        found = await pod_call(
            "usersLookup", self._sdk().users().list_users_by_emails(list(emails))
        )
        users = (found.users if found else None) or []
        return {
            u.email_address.lower(): UserRef(str(u.id), u.display_name, u.email_address)
            for u in users
            if u.email_address
        }

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, UserRef]:
        """``GET /pod/v3/users?uid=`` (100 at a time): names from the pod, not from a mention's
        text (which the sender's client writes)."""
        wanted = [int(i) for i in dict.fromkeys(ids) if i.isdigit()]
        found: dict[str, UserRef] = {}
        for start in range(0, len(wanted), USERS_PER_LOOKUP):
            some = wanted[start : start + USERS_PER_LOOKUP]
            page = await pod_call("usersLookup", self._sdk().users().list_users_by_ids(some))
            for u in (page.users if page else None) or []:
                found[str(u.id)] = UserRef(str(u.id), u.display_name, u.email_address or None)
        return found

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        await self._membership("removeMember", StreamService.remove_member_from_room, room, user)
        return "200 Member removed"

    async def demote_owner(self, room: RoomRef, user: UserRef) -> str:
        await self._membership(
            "demoteOwner", StreamService.demote_owner_to_room_participant, room, user
        )
        return "200 Owner demoted"

    # --- SupportsUndo -------------------------------------------------------------------------

    async def add_member(self, room: RoomRef, user: UserRef, kind: str | None = None) -> str:
        """addMember (one kind of membership: ``kind`` is never set here)."""
        await self._membership("addMember", StreamService.add_member_to_room, room, user)
        return "200 Member added"

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        await self._membership("promoteOwner", StreamService.promote_user_to_room_owner, room, user)
        return "200 Owner promoted"

    async def _membership(
        self,
        operation: str,
        change: Callable[[StreamService, int, str], Awaitable[object]],
        room: RoomRef,
        user: UserRef,
    ) -> None:
        """A change of ``user``'s membership of ``room``: a stream service call taking the
        user's id and the room's id in the URL-safe form (``operation``: the pod API's name)."""
        await pod_call(operation, change(self._sdk().streams(), int(user.id), url_safe_id(room.id)))

    async def send_direct(self, user: UserRef, reply: Reply) -> None:
        im = await pod_call("createIM", self._sdk().streams().create_im(int(user.id)))
        await pod_call(
            "createMessage", self._sdk().messages().send_message(url_safe_id(im.id), render(reply))
        )

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        # Symphony's message API has no reply-to field: answer in the same room.
        await pod_call(
            "createMessage",
            self._sdk().messages().send_message(url_safe_id(inv.room.id), render(reply)),
        )

    # --- SupportsIbGroups ---------------------------------------------------------------------

    async def deactivated_users(self, users: Sequence[UserRef]) -> set[str]:
        ids = [int(u.id) for u in users]
        found = await pod_call(
            "usersLookup", self._sdk().users().list_users_by_ids(ids, active=False)
        )
        return {str(u.id) for u in ((found.users if found else None) or [])}

    async def remove_from_ib_group(
        self, group: str, users: Sequence[UserRef]
    ) -> tuple[list[str], str]:
        return await self._ib_groups.change("remove", group, users)

    async def add_to_ib_group(self, group: str, users: Sequence[UserRef]) -> tuple[list[str], str]:
        return await self._ib_groups.change("add", group, users)

    # --- SupportsIbGroupLookup ----------------------------------------------------------------

    # --- SupportsIbGroupLookup ----------------------------------------------------------------

    async def ib_group_members(self, group: str) -> set[str]:
        return await self._ib_groups.members(group)
