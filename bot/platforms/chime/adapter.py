"""Amazon Chime chat rooms: bot events in on kickbot's HTTPS endpoint, the Chime API out.

Amazon Chime reached end of support on 2026-02-20. This adapter follows the botocore model
``chime`` 2018-05-01 and is verified only against a double that checks every request against it
(``bot.testing.chime.double``). Member ids are Chime member ids (user or bot ids); "room owner" is
the room's ``Administrator`` role. Senders arrive as e-mail addresses and are mapped to member
ids through ``ListRoomMemberships`` of the room (kept briefly in a ``Roster``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

import structlog
from aiolimiter import AsyncLimiter

from bot import errors
from bot.dispatch import split_command
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef
from bot.platform import InvocationSink, SupportsIbGroups
from bot.platforms.aws import Attempts
from bot.platforms.chime.client import ChimeClient, resolve_credentials
from bot.platforms.chime.config import ChimeSettings, load_settings
from bot.platforms.chime.events import BadEvent, EventEndpoint, event_id
from bot.platforms.chime.roster import Roster
from bot.platforms.chime.text import bot_mention_pattern, chunks, render, tokenize
from bot.reply import Reply

log = structlog.get_logger(__name__)
T = TypeVar("T")

ADMINISTRATOR, MEMBER = "Administrator", "Member"


def to_member(item: dict[str, Any]) -> Member | None:
    member = item.get("Member")
    if not isinstance(member, dict) or not member.get("MemberId"):
        return None
    user = UserRef(str(member["MemberId"]), member.get("FullName"), member.get("Email"))
    return Member(user, item.get("Role") == ADMINISTRATOR)


class ChimePlatform:
    name = "chime"
    command_prefixes: tuple[str, ...] = ("/",)
    unsupported: Mapping[type, str] = MappingProxyType(
        {SupportsIbGroups: "Amazon Chime has no information barrier groups."}
    )

    def __init__(self, section: dict[str, Any]) -> None:
        self.settings: ChimeSettings = load_settings(section)
        self._credentials = resolve_credentials(self.settings)
        s = self.settings
        self._bot = UserRef(s.bot_id, s.bot_display_name, s.bot_email)
        self._bot_pattern = bot_mention_pattern(self._bot)
        self._client: ChimeClient | None = None
        self._roster = Roster(self._fetch_members, s.roster_ttl_seconds)
        self._endpoint = EventEndpoint(s, self._invocation)
        self._pacers: dict[str, AsyncLimiter] = {}
        self._emails: dict[str, str] = {}  # member id -> e-mail, from every list read

    @property
    def bot_user(self) -> UserRef:
        return self._bot

    @property
    def listen_url(self) -> str:
        """Where the events endpoint listens (known after ``start``; the port may be 0)."""
        if self._endpoint.url is None:
            raise RuntimeError("the Chime platform is not started")
        return self._endpoint.url

    def _api(self) -> ChimeClient:
        if self._client is None:
            raise RuntimeError("the Chime platform is not started")
        return self._client

    async def connect(self) -> None:
        """Ready for outgoing calls only (the command line): no endpoint is served, so a bot
        running on the same account keeps receiving its own events. Each call is signed; no
        session is opened."""
        if self._client is None:
            self._client = ChimeClient(self.settings, self._credentials)

    async def start(self, sink: InvocationSink) -> None:
        await self.connect()
        await self._endpoint.start(sink)
        log.info("chime ready", account=self.settings.account_id, bot=self._bot.email)

    async def connection_problem(self) -> str | None:
        """Connected (``ReportsConnection``): the events endpoint served, and the Chime API
        answering the bot's signed calls (its first room, ``ListRooms``: nothing is changed)."""
        if not self._endpoint.serving or self._client is None:
            return "the events endpoint is not served"
        try:
            await self._client.answers(self._bot.id)
        except errors.PlatformError as err:
            return f"the Chime API does not answer ({err})"
        return None

    async def stop(self) -> None:
        await self._endpoint.stop()

    async def close(self) -> None:
        await self._roster.close()
        if self._client is not None:
            await self._client.close()
            self._client = None

    # --- inbound ------------------------------------------------------------------------------

    async def _invocation(self, event: dict[str, Any], body: bytes) -> Invocation | None:
        if event.get("EventType") != "Mention":
            log.info("chime event ignored", event_type=event.get("EventType"))
            return None
        discussion = event.get("Discussion")
        sender = event.get("Sender")
        endpoint = event.get("InboundHttpsEndpoint")
        message = event.get("Message")
        if not (
            isinstance(discussion, dict)
            and isinstance(sender, dict)
            and isinstance(endpoint, dict)
            and isinstance(discussion.get("DiscussionId"), str)
            and isinstance(sender.get("SenderId"), str)
            and isinstance(endpoint.get("Url"), str)
            and isinstance(message, str)
        ):
            raise BadEvent("a Mention needs Discussion, Sender, InboundHttpsEndpoint and Message")
        if discussion.get("DiscussionType") != "Room":
            log.info("mention outside a chat room ignored", type=discussion.get("DiscussionType"))
            return None
        room = RoomRef(discussion["DiscussionId"])
        address = sender["SenderId"].strip().lower()
        bare = tokenize(message, self._bot, lambda _: None, self._bot_pattern)
        if split_command(bare, self._bot, self.command_prefixes) is None:
            return None  # no command in it: no lookup either
        async with asyncio.timeout(self.settings.resolve_timeout_seconds):
            people = await self._roster.by_email(room.id, want=address)
        caller = people.get(address) or UserRef("email:" + address, None, address)
        tokens = tokenize(message, self._bot, people.get, self._bot_pattern)
        return Invocation(
            platform=self.name,
            event_id=event_id(body),
            room=room,
            caller=caller,
            tokens=tokens,
            thread=endpoint["Url"],
        )

    # --- Platform -----------------------------------------------------------------------------

    async def _fetch_members(self, room_id: str) -> list[Member]:
        found = []
        async for item in self._api().list_room_memberships(room_id):
            if (member := to_member(item)) is not None:
                found.append(member)
                if member.user.email:
                    self._emails[member.user.id] = member.user.email
        return found

    async def room_info(self, room: RoomRef) -> RoomInfo:
        data = await self._api().get_room(room.id)
        # Chime chat rooms have no deactivated state.
        return RoomInfo(room, str(data.get("Name") or room.id), True)

    async def members(self, room: RoomRef) -> Sequence[Member]:
        # The list read moments ago to find this command's sender is this command's list too:
        # no second ListRoomMemberships (a room of hundreds takes several pages). kickbot's
        # own changes forget it; a change made by someone else in those seconds is one that
        # could as well land between this lookup and the removal.
        just_read = self._roster.recent(room.id, self.settings.members_reuse_seconds)
        if just_read is not None:
            return just_read
        found = await self._fetch_members(room.id)
        self._roster.put(room.id, found)
        return found

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """The rooms the bot belongs to (``ListRooms?member-id=<bot>``) where ``user`` is a
        member too (chat rooms have no deactivated state)."""
        rooms = []
        async for data in self._api().list_rooms(self.bot_user.id):
            room = RoomRef(str(data.get("RoomId") or ""))
            if room.id and any(m.user.id == user.id for m in await self.members(room)):
                rooms.append(RoomInfo(room, str(data.get("Name") or room.id), True))
        return rooms

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        """From the account's users (``ListUsers?user-email=``, one address per call)."""
        found: dict[str, UserRef] = {}
        for address in dict.fromkeys(e.strip().lower() for e in emails):
            for user in await self._api().list_users_by_email(address):
                primary = str(user.get("PrimaryEmail") or "")
                if primary.lower() == address and user.get("UserId"):
                    found[address] = UserRef(str(user["UserId"]), user.get("DisplayName"), primary)
                    self._emails[str(user["UserId"])] = primary
        return found

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        # A retry may meet its own lost answer's effect (a 404): the core looks at the room
        # before it reports a failure (bot/lost_answers.py), after the roster is forgotten.
        attempts = Attempts()
        await self._changing(room, self._api().delete_room_membership(room.id, user.id, attempts))
        return f"204 DeleteRoomMembership{attempts.suffix()}"

    async def demote_owner(self, room: RoomRef, user: UserRef) -> str:
        return await self._set_role(room, user, MEMBER)

    # --- SupportsUndo -------------------------------------------------------------------------

    async def add_member(self, room: RoomRef, user: UserRef, kind: str | None = None) -> str:
        """CreateRoomMembership (Role=Member); 409 Conflict if they are in the room already.
        Rooms have one kind of membership: ``kind`` is never set here."""
        attempts = Attempts()
        api = self._api()
        await self._changing(room, api.create_room_membership(room.id, user.id, MEMBER, attempts))
        return f"201 CreateRoomMembership Role=Member{attempts.suffix()}"

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        return await self._set_role(room, user, ADMINISTRATOR)

    async def _set_role(self, room: RoomRef, user: UserRef, role: str) -> str:
        change = self._api().update_room_membership(room.id, user.id, role)
        data = await self._changing(room, change)
        return (
            f"200 UpdateRoomMembership Role={(data.get('RoomMembership') or {}).get('Role', role)}"
        )

    async def _changing(self, room: RoomRef, change: Awaitable[T]) -> T:
        """``change``'s result; the room's roster is forgotten whatever came of it."""
        try:
            return await change
        finally:
            self._roster.forget(room.id)

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        if not inv.thread:
            raise errors.BadRequest("this invocation carries no webhook URL to answer on")
        pacer = self._pacers.get(inv.room.id)
        if pacer is None:
            pacer = AsyncLimiter(1, self.settings.reply_interval_seconds)
            self._pacers[inv.room.id] = pacer
        for content in chunks(render(reply, self._emails)):
            await self._api().post_webhook(inv.thread, content, pacer)
