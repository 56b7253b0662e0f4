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
from pathlib import Path
from types import MappingProxyType
from typing import Any
from xml.sax.saxutils import quoteattr

import structlog
from aiohttp import ClientError
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
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
from bot.reply import Code, Mention, Reply, Text, Untrusted, showable_reply

log = structlog.get_logger(__name__)

USERS_PER_LOOKUP = 100
"""The most ids ``GET /pod/v3/users`` takes at once."""

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
    """Everything the BDK needs before it connects, every problem at once: the keys, the
    pod's host, and the bot's key or certificate file (readable, a PEM key)."""
    unknown = sorted(set(section) - BDK_KEYS)
    problems = [f"symphony.{key}: unknown key (BDK keys: see docs/symphony.md)" for key in unknown]
    feed = section.get("datafeed")
    if feed is not None:
        if not isinstance(feed, dict) or feed.get("version") is None:
            # A datafeed block without version crashes SymphonyBdk() with an AttributeError.
            problems.append("symphony.datafeed.version: required, write `version: v2`")
        elif str(feed["version"]).lower() != "v2":
            problems.append("symphony.datafeed.version: kickbot needs datafeed v2")
    problems += _host_problems(section)
    problems += _url_problems(section)
    bot = section.get("bot")
    if not isinstance(bot, dict) or not bot.get("username"):
        problems.append("symphony.bot.username: required")
    if not isinstance(bot, dict) or not (bot.get("privateKey") or bot.get("certificate")):
        problems.append("symphony.bot.privateKey: required (path or content)")
    else:
        problems += _credential_problems(bot)
    ssl = section.get("ssl")
    store = ssl.get("trustStore") if isinstance(ssl, dict) else None
    if isinstance(store, dict) and store.get("path"):
        problems += _file_problems("symphony.ssl.trustStore.path", store["path"])
    if problems:
        raise errors.ConfigError(*problems)


_CLIENTS = ("pod", "agent", "sessionAuth", "keyManager")


def _host_problems(section: dict[str, Any]) -> list[str]:
    """The BDK builds each service's URL from its own host or the top-level one."""
    if section.get("host"):
        return []
    missing = [
        c for c in _CLIENTS if not (isinstance(section.get(c), dict) and section[c].get("host"))
    ]
    if not missing:
        return []
    if len(missing) < len(_CLIENTS):
        return [f"symphony.host: required (no host given for {', '.join(missing)})"]
    return ["symphony.host: required: the pod's host name, e.g. acme.symphony.com"]


def _url_problems(section: dict[str, Any]) -> list[str]:
    """Scheme and port, at the top and per service, as the BDK puts them into its URLs."""
    places = [("symphony", section)] + [
        (f"symphony.{c}", section[c]) for c in _CLIENTS if isinstance(section.get(c), dict)
    ]
    problems = []
    for where, block in places:
        scheme, port = block.get("scheme"), block.get("port")
        if scheme is not None and str(scheme).lower() not in ("http", "https"):
            problems.append(f"{where}.scheme: must be https (or http), not {scheme!r}")
        number = str(port).strip()  # ${VAR} makes it a string, which the BDK takes as it is
        if port is not None and (
            isinstance(port, bool) or not number.isdigit() or not 0 < int(number) < 65536
        ):
            problems.append(f"{where}.port: must be a port number (1-65535), not {port!r}")
    return problems


def _credential_problems(bot: dict[str, Any]) -> list[str]:
    key, cert = bot.get("privateKey"), bot.get("certificate")
    problems = []
    if key:
        if not isinstance(key, dict):
            return ["symphony.bot.privateKey: must hold a path or a content"]
        if key.get("path") and key.get("content"):
            problems.append("symphony.bot.privateKey: give a path or a content, not both")
        elif key.get("path"):
            problems += _file_problems("symphony.bot.privateKey.path", key["path"], pem_key=True)
        elif key.get("content"):
            problems += _pem_key_problems("symphony.bot.privateKey.content", str(key["content"]))
        else:
            problems.append("symphony.bot.privateKey: required: a path (or a content)")
    if cert and not key:
        if not isinstance(cert, dict) or not cert.get("path"):
            problems.append("symphony.bot.certificate.path: required")
        else:
            problems += _file_problems("symphony.bot.certificate.path", cert["path"])
    return problems


def _file_problems(key: str, path: object, *, pem_key: bool = False) -> list[str]:
    file = Path(str(path))
    if not file.exists():
        return [f"{key}: {file} does not exist"]
    if not file.is_file():
        return [f"{key}: {file} is not a file"]
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        return [f"{key}: cannot read {file}: {exc.strerror}"]
    except UnicodeDecodeError:
        return [f"{key}: {file} is not a PEM file (text starting -----BEGIN)"]
    return _pem_key_problems(key, text, file) if pem_key else []


def _pem_key_problems(key: str, text: str, file: Path | None = None) -> list[str]:
    """The BDK signs its login JWT with this key (RS512): it must be an unencrypted PEM RSA
    private key."""
    what = str(file) if file is not None else "the content"
    try:
        private = load_pem_private_key(text.encode(), password=None)
    except TypeError:
        return [f"{key}: {what} is encrypted; the BDK needs an unencrypted key"]
    except (ValueError, UnsupportedAlgorithm):
        return [f"{key}: {what} is not a PEM private key (-----BEGIN PRIVATE KEY-----)"]
    if not isinstance(private, RSAPrivateKey):
        return [f"{key}: {what} is not an RSA key (the BDK signs with RS512)"]
    return []


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
    # No bidi control reorders a line; no control character makes the MessageML invalid XML.
    for n, ln in enumerate(showable_reply(reply)):
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
    unsupported: Mapping[type, str] = MappingProxyType({})

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

    async def connection_problem(self) -> str | None:
        """Connected (``ReportsConnection``): the datafeed loop runs and the pod answers the
        bot's session (``GET /pod/v2/sessioninfo``); the BDK's own retries hide a lost agent
        from the loop for minutes, so the pod is asked."""
        if self._feed is None or self._feed.done():
            return "the datafeed is not being read"
        try:
            await self._sdk().sessions().get_session()
        except Exception as exc:
            return f"the pod does not answer ({to_platform_error(exc)})"
        return None

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

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, UserRef]:
        """``GET /pod/v3/users?uid=`` (100 at a time): names from the pod, not from a mention's
        text (which the sender's client writes)."""
        wanted = [int(i) for i in dict.fromkeys(ids) if i.isdigit()]
        found: dict[str, UserRef] = {}
        for start in range(0, len(wanted), USERS_PER_LOOKUP):
            try:
                page = (
                    await self._sdk()
                    .users()
                    .list_users_by_ids(wanted[start : start + USERS_PER_LOOKUP])
                )
            except Exception as exc:
                raise to_platform_error(exc) from exc
            for u in (page.users if page else None) or []:
                found[str(u.id)] = UserRef(str(u.id), u.display_name, u.email_address or None)
        return found

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

    # --- SupportsIbGroupLookup ----------------------------------------------------------------

    async def ib_group_members(self, group: str) -> set[str]:
        api = InfoBarriersApi(self._clients.factory.get_pod_client())
        found: set[str] = set()
        page = 10000  # the most the pod answers at once (and its default)
        while True:
            try:
                ids = await api.v1_admin_group_gid_membership_list_get(
                    gid=url_safe_id(group),
                    session_token=await self._clients.session.session_token,
                    skip=len(found),
                    limit=page,
                )
            except Exception as exc:
                raise to_platform_error(exc) from exc
            listed = [str(i) for i in (ids or [])]
            found.update(listed)
            if len(listed) < page:
                return found

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
