"""Amazon Chime SDK messaging: the bot is an AppInstanceUser of the operator's AppInstance,
a member (and, to remove people, a moderator) of the channels it serves, or an AppInstanceAdmin.

A room is a channel (its ARN), a person an AppInstanceUser (their ARN). *Room owner* means a
channel moderator or an AppInstanceAdmin (``is_room_owner``); the member list's owner flag is
the moderator role alone, since that is what ``/demote`` takes away (``DeleteChannelModerator``)
and what "never the last owner" keeps: the bot, a moderator itself, does not count. Kick is
``DeleteChannelMembership``, undo ``CreateChannelMembership``/``CreateChannelModerator``; a
membership is DEFAULT or HIDDEN (listed only when asked for): a hidden member's ``Member.kind``
is ``HIDDEN``, and undo puts them back HIDDEN. Replies go to the command's channel (and
sub-channel) with ``SendChannelMessage``.

Commands come in through the messaging session, which hands each ``CREATE_CHANNEL_MESSAGE`` to
``receive``: like every adapter's event callback it only records the command (the message id is
the idempotency key) and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import structlog

from bot import errors
from bot.dispatch import split_command
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef
from bot.platform import InvocationSink, ReadPositions, SupportsIbGroups
from bot.platforms.aws import Attempts
from bot.platforms.chime_sdk.catchup import PositionBook
from bot.platforms.chime_sdk.client import ChimeSdkClient, session_for
from bot.platforms.chime_sdk.config import USER_ID, ChimeSdkSettings, load_settings
from bot.platforms.chime_sdk.inbound import ChannelMessage
from bot.platforms.chime_sdk.roles import Roles
from bot.platforms.chime_sdk.session import MessagingSession, SessionSettings
from bot.platforms.chime_sdk.session_api import ClientSessionApi
from bot.platforms.chime_sdk.text import CONTENT_TYPE, messages, render, tokenize, user_id
from bot.reply import Reply

log = structlog.get_logger(__name__)

USER_ID_PATTERN = re.compile(USER_ID)
HIDDEN = "HIDDEN"
"""A channel membership's Type for a member left out of the usual member list (``Member.kind``);
the usual Type, DEFAULT, is kind None."""
ADMIN_NEEDED = (
    "only an AppInstanceAdmin may list another user's channels: make the bot's AppInstanceUser"
    " one (CreateAppInstanceAdmin) to offboard people"
)


async def _forbidden_means(
    items: AsyncIterator[dict[str, Any]], why: str
) -> AsyncIterator[dict[str, Any]]:
    """``items``, a ForbiddenException said as ``why`` (the right that is missing)."""
    try:
        async for item in items:
            yield item
    except errors.Forbidden as err:
        raise errors.Forbidden(f"{why} ({err.detail})", response=err.response) from err


class ChimeSdkPlatform:
    name = "chime_sdk"
    command_prefixes: tuple[str, ...] = ("/",)
    unsupported: Mapping[type, str] = MappingProxyType(
        {SupportsIbGroups: "Amazon Chime SDK messaging has no information barrier groups."}
    )

    def __init__(self, section: dict[str, Any]) -> None:
        self.settings: ChimeSdkSettings = load_settings(section)
        self._session = session_for(self.settings)
        self._bot = UserRef(self.settings.bot_arn, user_id(self.settings.bot_arn))
        self._client: ChimeSdkClient | None = None
        self._sink: InvocationSink | None = None
        self._roles = Roles(self.settings, self._list)
        self._positions = PositionBook(self.name, self.settings.bot_arn)
        self._messaging: MessagingSession | None = None

    @property
    def bot_user(self) -> UserRef:
        return self._bot

    @property
    def client(self) -> ChimeSdkClient:
        """The API client (after ``start`` or ``connect``): the messaging session uses it too."""
        if self._client is None:
            raise RuntimeError("the Amazon Chime SDK platform is not started")
        return self._client

    async def connect(self) -> None:
        if self._client is None:
            self._client = ChimeSdkClient(self.settings, self._session)

    def use_read_positions(self, positions: ReadPositions) -> None:
        """Where the messaging session keeps how far it has read each channel (the store)."""
        self._positions.use(positions)

    @property
    def messaging_session(self) -> MessagingSession | None:
        """The session commands arrive on (after ``start``)."""
        return self._messaging

    @property
    def feed(self) -> asyncio.Task[None] | None:
        """The session's task: it ends only when the service refuses the bot (``kickbot run``
        then stops with the reason)."""
        return self._messaging.feed if self._messaging is not None else None

    async def start(self, sink: InvocationSink) -> None:
        await self.connect()
        self._sink = sink
        s = self.settings
        self._messaging = MessagingSession(
            api=ClientSessionApi(self.client, s.bot_arn),
            credentials=self._session.get_credentials(),
            region=s.signing_region,
            bot_arn=s.bot_arn,
            secure=not (s.endpoint_url or "").startswith("http://"),
            deliver=self._deliver,
            book=self._positions,
            settings=SessionSettings(
                reconnect_initial_seconds=s.session_reconnect_initial_seconds,
                reconnect_max_seconds=s.session_reconnect_max_seconds,
                flush_seconds=s.session_positions_flush_seconds,
            ),
        )
        await self._messaging.start()
        log.info("chime sdk ready", app_instance=self.settings.app_instance_arn, bot=self._bot.id)

    async def connection_problem(self) -> str | None:
        """Connected (``ReportsConnection``): the messaging session is established, and the
        service answers the bot's signed calls (GetMessagingSessionEndpoint, which reads
        nothing of a channel)."""
        session = self._messaging
        if session is None or session.feed is None or session.feed.done():
            return "the messaging session is not running"
        if not session.established.is_set():
            return "the messaging session is not established (reconnecting)"
        try:
            await self.client.call("GetMessagingSessionEndpoint")
        except errors.PlatformError as err:
            return f"the service does not answer ({err})"
        return None

    async def stop(self) -> None:
        if self._messaging is not None:
            await self._messaging.stop()
        self._sink = None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    # --- inbound ------------------------------------------------------------------------------

    async def _deliver(self, payload: dict[str, Any]) -> bool:
        """A channel message from the session (live or caught up): whether it was a command."""
        message = ChannelMessage.from_payload(payload)
        if message is None:
            log.warning("chime sdk message without the members a command needs ignored")
            return False
        return await self.receive(message)

    async def receive(self, message: ChannelMessage) -> bool:
        """Record the command in ``message``, if any; True if one was recorded. Raises if it
        could not be (the caller must deliver it again: the message id makes that safe)."""
        if message.sender_arn == self._bot.id or message.type != "STANDARD":
            return False  # the bot's own replies come back to it, as to every member
        tokens = tokenize(message.content, self._bot, self.settings.app_instance_arn)
        if split_command(tokens, self._bot, self.command_prefixes) is None:
            return False
        if self._sink is None:
            raise RuntimeError("the Amazon Chime SDK platform is not receiving")
        caller = self.person(message.sender_arn, message.sender_name)
        await self._sink(
            Invocation(
                platform=self.name,
                event_id=message.message_id,
                room=RoomRef(message.channel_arn),
                caller=caller,
                tokens=tokens,
                thread=message.sub_channel_id,
            )
        )
        return True

    # --- reading ------------------------------------------------------------------------------

    async def room_info(self, room: RoomRef) -> RoomInfo:
        data = await self.client.call("DescribeChannel", ChannelArn=room.id)
        channel = data.get("Channel") or {}
        # Channels have no deactivated state: one that is deleted is not found.
        return RoomInfo(room, str(channel.get("Name") or room.id), True)

    def person(self, arn: str, name: str | None = None) -> UserRef:
        """A member by ARN; their e-mail address is their id where ids are addresses."""
        uid = user_id(arn)
        email = uid if self.settings.user_ids_are_emails and "@" in uid else None
        return UserRef(arn, name or uid, email)

    async def _list(self, operation: str, key: str, inner: str, **params: Any) -> list[UserRef]:
        found = []
        async for item in self.client.pages(operation, key, **params):
            who = item.get(inner) or {}
            if isinstance(who.get("Arn"), str):
                found.append(self.person(who["Arn"], who.get("Name")))
        return found

    async def members(self, room: RoomRef) -> Sequence[Member]:
        """Every member (DEFAULT and HIDDEN), owners being the moderators but the bot."""
        memberships = ("ListChannelMemberships", "ChannelMemberships", "Member")
        listed, hidden, moderators = await asyncio.gather(
            self._list(*memberships, ChannelArn=room.id),
            self._list(*memberships, ChannelArn=room.id, Type="HIDDEN"),
            self._roles.read_moderators(room),
        )
        kinds: dict[str, str | None] = {u.id: None for u in listed}
        kinds.update((u.id, HIDDEN) for u in hidden)
        people = {u.id: u for u in [*listed, *hidden]}
        return [
            Member(u, u.id in moderators and u.id != self._bot.id, kinds[u.id])
            for u in people.values()
        ]

    async def is_room_owner(self, room: RoomRef, user: UserRef) -> bool:
        """A moderator of the channel or an AppInstanceAdmin."""
        moderators = await self._roles.moderators(room)
        return user.id in moderators or user.id in await self._roles.admins()

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        """AppInstanceUsers have ids and names, no e-mail addresses; where the ids are the
        addresses (``user_ids_are_emails``), the user whose id an address is."""
        if not self.settings.user_ids_are_emails:
            return {}
        found: dict[str, UserRef] = {}
        for address in dict.fromkeys(e.strip().lower() for e in emails):
            if USER_ID_PATTERN.fullmatch(address) is None:
                continue
            arn = self.settings.member_arn(address)
            try:
                data = await self.client.call("DescribeAppInstanceUser", AppInstanceUserArn=arn)
            except (errors.BadRequest, errors.NotFound, errors.Forbidden):
                continue  # no such user (DescribeAppInstanceUser declares no NotFound)
            user = data.get("AppInstanceUser") or {}
            found[address] = self.person(arn, user.get("Name"))
        return found

    @property
    def email_lookup_conclusive(self) -> bool:
        # Without addresses for ids nothing is looked up: an e-mail entry may be anyone.
        return self.settings.user_ids_are_emails

    @property
    def email_access(self) -> str:
        return (
            "Amazon Chime SDK users have no e-mail addresses: name people by their"
            " AppInstanceUser ARNs in the policy (or set chime_sdk.user_ids_are_emails where"
            " the AppInstanceUserIds are their addresses)"
        )

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """The person's channels (``ListChannelMembershipsForAppInstanceUser``: the bot must be
        an AppInstanceAdmin to ask about anyone but itself, and can then act in all of them)."""
        rooms = []
        listed = self.client.pages(
            "ListChannelMembershipsForAppInstanceUser",
            "ChannelMemberships",
            AppInstanceUserArn=user.id,
        )
        async for item in _forbidden_means(listed, ADMIN_NEEDED):
            channel = item.get("ChannelSummary") or {}
            if isinstance(channel.get("ChannelArn"), str):
                arn = channel["ChannelArn"]
                rooms.append(RoomInfo(RoomRef(arn), str(channel.get("Name") or arn), True))
        return rooms

    # --- changes ------------------------------------------------------------------------------

    async def _change(
        self,
        operation: str,
        room: RoomRef,
        user: UserRef,
        moderator: bool | None = None,
        kind: str | None = None,
    ) -> str:
        """One change to ``user`` in ``room``; ``moderator``: whether they moderate it after
        (None: unchanged); ``kind``: a membership's Type (None: DEFAULT). The kept moderator
        list follows, or is dropped if the call failed."""
        attempts = Attempts()
        params: dict[str, Any] = {"ChannelArn": room.id}
        if moderator is None:
            params["MemberArn"] = user.id
            if operation == "CreateChannelMembership":
                params["Type"] = kind or "DEFAULT"
        else:
            params["ChannelModeratorArn"] = user.id
        try:
            await self.client.call(operation, attempts, **params)
        except BaseException:
            self._roles.forget(room)  # what the call did is not known
            raise
        self._roles.changed(room, user.id, moderator)
        return f"{201 if operation.startswith('Create') else 204} {operation}{attempts.suffix()}"

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        """DeleteChannelMembership; for a moderator, DeleteChannelModerator too: a moderator
        need not be a member, and one removed would keep the power to change the channel
        (``/undo`` gives both back)."""
        moderator = user.id in await self._roles.moderators(room)
        try:
            said = await self._change("DeleteChannelMembership", room, user)
        except errors.PlatformError:
            if moderator and not await self._is_member(room, user):
                # The removal was made and its answer lost: the role goes too (the core
                # reports the removal done, bot/lost_answers.py).
                with contextlib.suppress(errors.PlatformError):
                    await self._change("DeleteChannelModerator", room, user, False)
            raise
        if not moderator:
            return said
        return f"{said}; {await self._change('DeleteChannelModerator', room, user, False)}"

    async def _is_member(self, room: RoomRef, user: UserRef) -> bool:
        """Whether ``user`` is a member now (True when that cannot be read)."""
        try:
            await self.client.call(
                "DescribeChannelMembership", ChannelArn=room.id, MemberArn=user.id
            )
        except errors.NotFound:
            return False
        except errors.PlatformError:
            return True
        return True

    async def demote_owner(self, room: RoomRef, user: UserRef) -> str:
        return await self._change("DeleteChannelModerator", room, user, False)

    async def add_member(self, room: RoomRef, user: UserRef, kind: str | None = None) -> str:
        """CreateChannelMembership of the Type they had: ``kind`` (HIDDEN), else DEFAULT."""
        return await self._change("CreateChannelMembership", room, user, kind=kind)

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        return await self._change("CreateChannelModerator", room, user, True)

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        for n, content in enumerate(messages(render(reply))):
            # The same reply sent again (its answer lost) is the same message, not a second.
            token = hashlib.sha256(f"{inv.event_id}\n{n}\n{content}".encode()).hexdigest()
            params: dict[str, Any] = {
                "ChannelArn": inv.room.id,
                "Content": content,
                "ContentType": CONTENT_TYPE,
                "Type": "STANDARD",
                "Persistence": "PERSISTENT",
                "ClientRequestToken": token,
            }
            if inv.thread:
                params["SubChannelId"] = inv.thread
            await self.client.call("SendChannelMessage", **params)
