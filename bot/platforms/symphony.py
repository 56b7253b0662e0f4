"""Symphony through symphony-bdk-python: datafeed v2 in, StreamService and friends out.

The datafeed listener only turns a MESSAGESENT event into an ``Invocation`` and hands it to the
sink, which records it durably; if that fails it raises ``EventError`` so the BDK does not ack
the batch and Symphony delivers the event again. Removals run outside the datafeed loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any
from xml.sax.saxutils import quoteattr

import structlog
from aiohttp import ClientError
from symphony.bdk.core.activity.parsing.input_tokenizer import InputTokenizer
from symphony.bdk.core.activity.parsing.message_entities import Mention as BdkMention
from symphony.bdk.core.auth.auth_session import AuthSession
from symphony.bdk.core.client.api_client_factory import ApiClientFactory
from symphony.bdk.core.config.loader import BdkConfigLoader
from symphony.bdk.core.extension import BdkApiClientFactoryAware, BdkAuthenticationAware
from symphony.bdk.core.service.datafeed.exception import EventError
from symphony.bdk.core.service.datafeed.real_time_event_listener import RealTimeEventListener
from symphony.bdk.core.service.message.messageml_util import escape_special_chars
from symphony.bdk.core.symphony_bdk import SymphonyBdk
from symphony.bdk.gen import ApiException
from symphony.bdk.gen.agent_model.v4_initiator import V4Initiator
from symphony.bdk.gen.agent_model.v4_message_sent import V4MessageSent
from symphony.bdk.gen.pod_api.info_barriers_api import InfoBarriersApi
from symphony.bdk.gen.pod_model.stream_filter import StreamFilter
from symphony.bdk.gen.pod_model.stream_type import StreamType

from bot import errors
from bot.model import Invocation, Member, MentionToken, RoomInfo, RoomRef, Token, UserRef, Word
from bot.platform import InvocationSink
from bot.reply import Code, Mention, Reply, Text, Untrusted

log = structlog.get_logger(__name__)

# Top-level keys symphony-bdk-python 3 reads (core/config/model/bdk_config.py); it ignores the
# rest silently, so kickbot rejects them here.
BDK_KEYS = frozenset(
    {
        "scheme", "host", "port", "context", "proxy", "defaultHeaders", "agent", "pod",
        "keyManager", "sessionAuth", "bot", "ssl", "app", "datafeed", "datahose", "retry",
        "manifest",
    }
)  # fmt: skip


def url_safe_id(stream_id: str) -> str:
    """Symphony wants URL-safe base64 ids in URLs; the client shows standard base64."""
    return stream_id.replace("+", "-").replace("/", "_").rstrip("=")


def check_section(section: dict[str, Any]) -> None:
    unknown = sorted(set(section) - BDK_KEYS)
    if unknown:
        raise errors.ConfigError(
            f"symphony.{unknown[0]}: unknown key (BDK keys: see docs/symphony.md)"
        )
    feed = section.get("datafeed")
    if feed is not None:
        if not isinstance(feed, dict) or feed.get("version") is None:
            # A datafeed block without version crashes SymphonyBdk() with an AttributeError.
            raise errors.ConfigError("symphony.datafeed.version: required, write `version: v2`")
        if str(feed["version"]).lower() != "v2":
            raise errors.ConfigError("symphony.datafeed.version: kickbot needs datafeed v2")
    bot = section.get("bot")
    if not isinstance(bot, dict) or not bot.get("username"):
        raise errors.ConfigError("symphony.bot.username: required")
    if not (bot.get("privateKey") or bot.get("certificate")):
        raise errors.ConfigError("symphony.bot.privateKey: required (path or content)")


def to_platform_error(exc: Exception) -> errors.PlatformError:
    if isinstance(exc, ApiException):
        detail = str(exc.reason or "")
        body = exc.body if isinstance(exc.body, str) else None
        if body:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                detail = str(json.loads(body).get("message") or detail)
        return errors.from_status(int(exc.status or 500), detail, body)
    if isinstance(exc, ClientError | asyncio.TimeoutError):
        return errors.Unavailable(f"cannot reach the pod: {exc!r}", status=503)
    raise exc


class _PodClients(BdkApiClientFactoryAware, BdkAuthenticationAware):  # type: ignore[misc]
    """A BDK extension: the supported way to reach generated APIs the BDK does not wrap."""

    def set_api_client_factory(self, api_client_factory: ApiClientFactory) -> None:
        self.factory = api_client_factory

    def set_bot_session(self, auth_session: AuthSession) -> None:
        self.session = auth_session


class _Listener(RealTimeEventListener):  # type: ignore[misc]
    def __init__(self, sink: InvocationSink):
        self._sink = sink

    async def on_message_sent(self, initiator: V4Initiator, event: V4MessageSent) -> None:
        message = event.message
        if message is None or message.stream is None or message.stream.stream_type != "ROOM":
            return
        try:
            tokens = tuple(_token(t) for t in InputTokenizer(message).tokens)
        except Exception:
            log.warning("unparsable message ignored", message_id=message.message_id)
            return
        user = initiator.user
        inv = Invocation(
            platform="symphony",
            event_id=str(message.message_id),
            room=RoomRef(url_safe_id(message.stream.stream_id)),
            caller=UserRef(str(user.user_id), user.display_name, user.email),
            tokens=tokens,
        )
        try:
            await self._sink(inv)
        except Exception as exc:
            log.error("could not record a command; asking for redelivery", error=str(exc))
            raise EventError(str(exc)) from exc


def _token(t: object) -> Token:
    if isinstance(t, BdkMention):
        return MentionToken(UserRef(str(t.user_id), t.user_display_name), t.text)
    return Word(str(getattr(t, "text", t)))


def render(reply: Reply) -> str:
    """MessageML for a reply. Everything that is not kickbot's own markup is escaped."""
    out = []
    for n, ln in enumerate(reply):
        if n:
            out.append("<br/>")
        for seg in ln:
            match seg:
                case Mention(user):
                    out.append(f"<mention uid={quoteattr(user.id)}/>")
                case Code(text):
                    out.append(f"<code>{escape_special_chars(text)}</code>")
                case Text(text) | Untrusted(text):
                    out.append(escape_special_chars(text))
    return "<messageML>" + "".join(out) + "</messageML>"


class SymphonyPlatform:
    name = "symphony"
    command_prefixes: tuple[str, ...] = ("/",)
    unsupported: Mapping[str, str] = MappingProxyType({})

    def __init__(self, section: dict[str, Any]):
        check_section(section)
        try:
            self._config = BdkConfigLoader.load_from_content(json.dumps(section))
        except Exception as exc:
            raise errors.ConfigError(f"symphony: the BDK refused this config: {exc}") from exc
        self._bdk: SymphonyBdk | None = None
        self._bot: UserRef | None = None
        self._clients = _PodClients()
        self._feed: asyncio.Task[None] | None = None
        self._stopping = False
        self.rooms_page_size = 1000
        """Streams per call of the admin user-streams list (the API allows up to 1000)."""

    @property
    def bot_user(self) -> UserRef:
        if self._bot is None:
            raise RuntimeError("the Symphony platform is not started")
        return self._bot

    @property
    def feed(self) -> asyncio.Task[None] | None:
        """The running datafeed loop (ends with the error if it dies)."""
        return self._feed

    def _sdk(self) -> SymphonyBdk:
        if self._bdk is None:
            raise RuntimeError("the Symphony platform is not started")
        return self._bdk

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
        bdk = self._sdk()
        bdk.datafeed().subscribe(_Listener(sink))
        self._stopping = False
        self._feed = asyncio.create_task(self._run_feed(bdk), name="symphony-datafeed")
        log.info("symphony connected", bot=self.bot_user.label, bot_id=self.bot_user.id)

    async def _run_feed(self, bdk: SymphonyBdk) -> None:
        """Keep the datafeed loop alive: the BDK's loop ends for good on some errors (a 400 on
        read after the feed expired, retries exhausted); start it again with a backoff."""
        backoff = 0.5
        while not self._stopping:
            try:
                await bdk.datafeed().start()
            except Exception as exc:
                if self._stopping:
                    return
                log.error("datafeed loop died; restarting", error=repr(exc), in_s=backoff)
            else:
                if self._stopping:
                    return
                log.warning("datafeed loop ended; restarting", in_s=backoff)
            with contextlib.suppress(Exception):
                await bdk.datafeed().stop()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 60.0)

    async def stop(self) -> None:
        self._stopping = True
        if self._bdk is not None and self._feed is not None:
            await self._bdk.datafeed().stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._feed, timeout=5)
            self._feed = None

    async def close(self) -> None:
        if self._bdk is not None:
            await self._bdk.close_clients()
            self._bdk = None

    async def room_info(self, room: RoomRef) -> RoomInfo:
        try:
            detail = await self._sdk().streams().get_room_info(url_safe_id(room.id))
        except Exception as exc:
            raise to_platform_error(exc) from exc
        attrs, system = detail.room_attributes, detail.room_system_info
        return RoomInfo(
            room,
            (attrs.name if attrs else None) or room.id,
            bool(system.active) if system and system.active is not None else True,
        )

    async def members(self, room: RoomRef) -> Sequence[Member]:
        try:
            found = await self._sdk().streams().list_room_members(url_safe_id(room.id))
        except Exception as exc:
            raise to_platform_error(exc) from exc
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
        try:
            found = await self._sdk().users().list_users_by_emails(list(emails))
        except Exception as exc:
            raise to_platform_error(exc) from exc
        users = (found.users if found else None) or []
        return {
            u.email_address.lower(): UserRef(str(u.id), u.display_name, u.email_address)
            for u in users
            if u.email_address
        }

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        try:
            await self._sdk().streams().remove_member_from_room(int(user.id), url_safe_id(room.id))
        except Exception as exc:
            raise to_platform_error(exc) from exc
        return "200 Member removed"

    async def demote_owner(self, room: RoomRef, user: UserRef) -> str:
        try:
            await (
                self._sdk()
                .streams()
                .demote_owner_to_room_participant(int(user.id), url_safe_id(room.id))
            )
        except Exception as exc:
            raise to_platform_error(exc) from exc
        return "200 Owner demoted"

    # --- SupportsUndo -------------------------------------------------------------------------

    async def add_member(self, room: RoomRef, user: UserRef) -> str:
        try:
            await self._sdk().streams().add_member_to_room(int(user.id), url_safe_id(room.id))
        except Exception as exc:
            raise to_platform_error(exc) from exc
        return "200 Member added"

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        try:
            await (
                self._sdk().streams().promote_user_to_room_owner(int(user.id), url_safe_id(room.id))
            )
        except Exception as exc:
            raise to_platform_error(exc) from exc
        return "200 Owner promoted"

    async def send_direct(self, user: UserRef, reply: Reply) -> None:
        try:
            im = await self._sdk().streams().create_im(int(user.id))
            await self._sdk().messages().send_message(url_safe_id(im.id), render(reply))
        except Exception as exc:
            raise to_platform_error(exc) from exc

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        # Symphony's message API has no reply-to field: answer in the same room.
        try:
            await self._sdk().messages().send_message(url_safe_id(inv.room.id), render(reply))
        except Exception as exc:
            raise to_platform_error(exc) from exc

    # --- SupportsIbGroups ---------------------------------------------------------------------

    async def deactivated_users(self, users: Sequence[UserRef]) -> set[str]:
        try:
            found = (
                await self._sdk()
                .users()
                .list_users_by_ids([int(u.id) for u in users], active=False)
            )
        except Exception as exc:
            raise to_platform_error(exc) from exc
        return {str(u.id) for u in ((found.users if found else None) or [])}

    async def remove_from_ib_group(
        self, group: str, users: Sequence[UserRef]
    ) -> tuple[list[str], str]:
        return await self._ib_bulk("remove", group, users)

    async def add_to_ib_group(self, group: str, users: Sequence[UserRef]) -> tuple[list[str], str]:
        return await self._ib_bulk("add", group, users)

    async def _ib_bulk(
        self, op: str, group: str, users: Sequence[UserRef]
    ) -> tuple[list[str], str]:
        api = InfoBarriersApi(self._clients.factory.get_pod_client())
        call = (
            api.v1_admin_group_gid_membership_remove_post
            if op == "remove"
            else api.v1_admin_group_gid_membership_add_post
        )
        try:
            result = await call(
                gid=url_safe_id(group),
                session_token=await self._clients.session.session_token,
                users=[int(u.id) for u in users],
            )
        except Exception as exc:
            raise to_platform_error(exc) from exc
        messages = list(result.results or [])
        if len(messages) != len(users):
            raise errors.Unavailable(
                f"the pod answered {len(messages)} results for {len(users)} users",
                status=502,
                response=result.to_json(),
            )
        return messages, str(result.to_json())
