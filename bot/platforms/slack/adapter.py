"""Slack through slack-bolt's AsyncApp: ``/kick`` as a slash command and ``@kickbot kick …`` as a
mention, in Socket Mode or over HTTP (the Events API, Bolt verifying every signature).

Bolt runs with ``process_before_response``: a listener only looks the caller up and records the
command (the sink), then Bolt acknowledges; the removal runs after, in the dispatcher. So a
command is durable before Slack hears "OK"; if recording fails, a mention's delivery gets a 500
(HTTP) or no ack (Socket Mode) and Slack delivers it again, and a slash command is answered with
a sentence saying nothing was done. Redeliveries carry the same ``event_id`` (``trigger_id`` for
slash commands), which the store refuses to record twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import hmac
import json
import re
import time
from collections.abc import Awaitable, Mapping, Sequence
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import structlog
from aiohttp import web
from aiolimiter import AsyncLimiter
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot import errors
from bot.model import Invocation, Member, RoomInfo, RoomRef, UserRef, Word
from bot.platform import InvocationSink, SupportsDemote
from bot.platforms.inbound import FORM, JSON, MAX_BODY_BYTES, wrong_content_type
from bot.platforms.slack.config import EVENTS_PATH, SlackSettings, api_base_url, load_settings
from bot.platforms.slack.errors import to_platform_error
from bot.platforms.slack.text import render, tokenize
from bot.reply import Reply

log = structlog.get_logger(__name__)

DEMOTE_WHY = (
    "Slack offers bots no API to demote a channel manager (only Enterprise Grid admins can "
    "change roles, with a user token). Ask a workspace admin to do it in the channel's settings."
)
RECORD_FAILED = (
    "kickbot could not take this command (it could not look you up or record the command), "
    "so nothing was done. Please try again; the reason is logged."
)
CALLER_TTL_SECONDS = 300.0
LOOKUP_TIMEOUT_SECONDS = 2
"""Looking the caller up happens before the ack, which Slack wants within 3 s."""
INFO_REUSE_SECONDS = 2.0
"""A target's name is read from the users.info answer its owner check got this recently (one
call for both, in one command); an owner check itself only shares a call still under way."""
INFOS_KEPT = 1_000
NAME_LOOKUPS_AT_ONCE = 8
CREATORS_KEPT = 10_000
"""Channels whose creator is remembered (the oldest noted is forgotten first)."""
RATE_LIMIT_RETRIES = 3
_RESENT: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "kickbot_slack_resent", default=None
)
"""The connection retries of the call being made (see ``SlackPlatform._call``)."""


class _NotedConnectionRetries(AsyncConnectionErrorRetryHandler):
    """slack_sdk's retry of a dropped connection, noted for the call being made: a change sent
    again may meet its own lost answer's effect (``not_in_channel``, ``already_in_channel``)."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        noted = _RESENT.get()
        if noted is not None:
            noted.append(state.current_attempt)
        await super().prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def web_client(settings: SlackSettings, session: aiohttp.ClientSession) -> AsyncWebClient:
    """The Web API client kickbot uses: a 429 waits for ``Retry-After`` and tries again
    (slack_sdk's handler), as does a dropped connection."""
    return AsyncWebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=api_base_url(settings),
        session=session,
        timeout=settings.api_timeout_seconds,
        retry_handlers=[
            _NotedConnectionRetries(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


class SlackPlatform:
    name = "slack"
    command_prefixes: tuple[str, ...] = ("/",)
    unsupported: Mapping[type, str] = MappingProxyType({SupportsDemote: DEMOTE_WHY})

    def __init__(self, section: dict[str, Any]):
        self.settings: SlackSettings = load_settings(section)
        per_minute = self.settings.changes_per_minute
        self._changes = AsyncLimiter(per_minute, 60) if per_minute else None
        self._session: aiohttp.ClientSession | None = None
        self._client: AsyncWebClient | None = None
        self._quick: AsyncWebClient | None = None
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._bot: UserRef | None = None
        self._sink: InvocationSink | None = None
        self._callers: dict[str, tuple[float, UserRef]] = {}
        self._creators: dict[str, str] = {}  # channel id -> its creator's user id
        self._infos: dict[str, tuple[float, asyncio.Future[dict[str, Any]]]] = {}
        self.listen_port: int | None = None
        """HTTP mode: the port really listened on (``listen_port: 0`` picks a free one)."""

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def change_interval_seconds(self) -> float:
        """``conversations.kick``/``invite`` are Tier 3: 50+ calls per minute per workspace.
        Changes are paced to ``changes_per_minute`` (a burst of that many, then evenly), so
        a long job stays under the limit instead of meeting 429s."""
        per_minute = self.settings.changes_per_minute
        return 60 / per_minute if per_minute else 0.0

    async def _paced_change(self) -> None:
        if self._changes is not None:
            await self._changes.acquire()

    @property
    def bot_user(self) -> UserRef:
        if self._bot is None:
            raise RuntimeError("the Slack platform is not started")
        return self._bot

    def _api(self) -> AsyncWebClient:
        if self._client is None:
            raise RuntimeError("the Slack platform is not started")
        return self._client

    @property
    def listen_url(self) -> str:
        """HTTP mode: the Request URL to give Slack (on this host)."""
        host = self.settings.listen_host
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        return f"http://{host}:{self.listen_port}{EVENTS_PATH}"

    async def connect(self) -> None:
        """Sign in for outgoing calls only (the command line): no events are received, so a
        bot running on the same app keeps receiving its own."""
        await self._sign_in()

    async def start(self, sink: InvocationSink) -> None:
        await self._sign_in()
        s = self.settings
        self._sink = sink
        app = AsyncApp(
            client=self._client,
            signing_secret=s.signing_secret.get_secret_value() if s.signing_secret else None,
            request_verification_enabled=s.mode == "http",
            process_before_response=True,
            name="kickbot",
        )
        app.command(re.compile(r"^/.+"))(self._on_command)
        app.event("app_mention")(self._on_mention)
        try:
            if s.mode == "http":
                await self._serve_http(app)
            else:
                await self._connect_socket(app, s)
        except BaseException:
            await self.stop()
            await self.close()
            raise
        log.info("slack connected", mode=s.mode, bot=self.bot_user.label, bot_id=self.bot_user.id)

    async def _sign_in(self) -> None:
        s = self.settings
        token = s.bot_token.get_secret_value()
        self._session = aiohttp.ClientSession()
        self._client = web_client(s, self._session)
        self._quick = AsyncWebClient(
            token=token,
            base_url=api_base_url(s),
            session=self._session,
            timeout=LOOKUP_TIMEOUT_SECONDS,
        )
        try:
            auth = await self._client.auth_test()
        except Exception as exc:
            await self.close()
            raise to_platform_error("auth.test", exc) from exc
        self._bot = UserRef(str(auth["user_id"]), str(auth.get("user") or "") or None)

    async def _serve_http(self, app: AsyncApp) -> None:
        assert self.settings.signing_secret is not None  # the settings require it in HTTP mode
        secret = self.settings.signing_secret.get_secret_value().encode()

        async def handle(request: web.Request) -> web.Response:
            # Bolt parses the body before it checks the signature, and its check fails with a
            # 500 on a timestamp that is not a number: both are done here first.
            refused = wrong_content_type(request, (JSON, FORM))
            if refused is not None:
                return refused
            body = await request.read()
            if request.content_type == FORM and _is_ssl_check(body):
                return web.Response(status=200)  # Slack checking the certificate, as Bolt does
            problem = signature_problem(secret, request.headers, body, time.time())
            if problem is not None:
                log.warning(
                    "refused a request with a bad or stale Slack signature",
                    reason=problem,
                    remote=request.remote,
                    timestamp=ascii(request.headers.get(TIMESTAMP_HEADER, "")[:40]),
                )
                return web.Response(status=401, text="bad or stale signature")
            try:
                bolt_request = AsyncBoltRequest(
                    body=body.decode("utf-8"),
                    query=request.query_string,
                    headers=request.headers,  # type: ignore[arg-type]
                )
            except Exception as exc:  # signed, yet not a body Slack sends: Bolt cannot read it
                log.warning("refused a signed request whose body cannot be read", error=repr(exc))
                return web.Response(status=400, text="unreadable body")
            response = await app.async_dispatch(bolt_request)
            return await to_aiohttp_response(response)

        web_app = web.Application(client_max_size=MAX_BODY_BYTES)
        web_app.router.add_post(EVENTS_PATH, handle)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.listen_host, self.settings.listen_port)
        await site.start()
        self.listen_port = int(self._runner.addresses[0][1])

    async def _connect_socket(self, app: AsyncApp, s: SlackSettings) -> None:
        assert s.app_token is not None
        handler = AsyncSocketModeHandler(
            app, app_token=s.app_token.get_secret_value(), web_client=self._client
        )
        self._socket = handler
        # The SDK's connect() retries forever on any error; ask for the URL here so that a bad
        # app token fails the start with Slack's reason.
        try:
            handler.client.wss_uri = await handler.client.issue_new_wss_url()
        except Exception as exc:
            raise to_platform_error("apps.connections.open", exc) from exc
        try:
            await asyncio.wait_for(handler.connect_async(), timeout=30)  # type: ignore[no-untyped-call]
        except TimeoutError:
            raise errors.Unavailable(
                "cannot open Slack's Socket Mode websocket", status=503
            ) from None

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._client = self._quick = None

    # --- receiving ----------------------------------------------------------------------------

    async def _on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        name = str(command.get("command", ""))
        try:
            caller = await self._caller(str(command["user_id"]))
            inv = Invocation(
                platform=self.name,
                event_id=str(command["trigger_id"]),
                room=RoomRef(str(command["channel_id"])),
                caller=caller,
                tokens=(Word(name), *tokenize(str(command.get("text", "")))),
                thread=None,  # Slack does not allow slash commands in threads
                direct=True,  # Slack routed it to this app: as good as a mention of the bot
            )
            assert self._sink is not None
            await self._sink(inv)
        except Exception as exc:
            log.error("could not take a slash command", command=name, error=repr(exc))
            await ack(text=RECORD_FAILED, response_type="ephemeral")
            return
        await ack()

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Raising here makes Bolt answer 500 (HTTP) or not ack (Socket Mode): Slack retries."""
        user = event.get("user")
        if not user or event.get("bot_id"):
            return
        try:
            inv = Invocation(
                platform=self.name,
                event_id=str(body["event_id"]),
                room=RoomRef(str(event["channel"])),
                caller=await self._caller(str(user)),
                tokens=tuple(tokenize(str(event.get("text", "")))),
                thread=str(event.get("thread_ts") or event["ts"]),
            )
            assert self._sink is not None
            await self._sink(inv)
        except Exception as exc:
            log.error(
                "could not take a mention; Slack will deliver it again",
                event_id=body.get("event_id"),
                error=repr(exc),
            )
            raise

    async def _caller(self, user_id: str) -> UserRef:
        """The caller with display name and e-mail (the policy may name people by e-mail)."""
        now = time.monotonic()
        cached = self._callers.get(user_id)
        if cached is not None and now - cached[0] < CALLER_TTL_SECONDS:
            return cached[1]
        assert self._quick is not None
        try:
            found = await self._quick.users_info(user=user_id)
        except Exception as exc:
            raise to_platform_error("users.info", exc) from exc
        user = _user_ref(found["user"])
        self._callers[user_id] = (now, user)
        return user

    # --- Platform -----------------------------------------------------------------------------

    async def room_info(self, room: RoomRef) -> RoomInfo:
        api = self._api()
        info = (await self._call("conversations.info", api.conversations_info(channel=room.id)))[
            "channel"
        ]
        self._note_creator(room.id, info)
        return RoomInfo(room, str(info.get("name") or room.id), not info.get("is_archived", False))

    async def members(self, room: RoomRef) -> Sequence[Member]:
        # Slack has no room owners in the member list: owners are workspace admins or the
        # channel's creator (``is_room_owner``), and removing one never leaves a channel ownerless.
        found: list[Member] = []
        try:
            async for page in await self._api().conversations_members(channel=room.id, limit=200):
                found.extend(Member(UserRef(str(uid)), False) for uid in page["members"])
        except Exception as exc:
            raise to_platform_error("conversations.members", exc) from exc
        return found

    async def find_users_by_email(self, emails: Sequence[str]) -> dict[str, UserRef]:
        found: dict[str, UserRef] = {}
        for email in emails:
            try:
                response = await self._api().users_lookupByEmail(email=email)
            except SlackApiError as exc:
                if exc.response.get("error") == "users_not_found":
                    continue
                raise to_platform_error("users.lookupByEmail", exc) from exc
            except Exception as exc:
                raise to_platform_error("users.lookupByEmail", exc) from exc
            found[email.lower()] = _user_ref(response["user"])
        return found

    async def users_by_id(self, ids: Sequence[str]) -> dict[str, UserRef]:
        """``users.info`` for each id (a caller's record kept from delivery, or the answer the
        owner check of the same target gets): names from the workspace, not from a
        ``<@U123|name>`` mention's text."""
        slots = asyncio.Semaphore(NAME_LOOKUPS_AT_ONCE)

        async def one(uid: str) -> UserRef | None:
            cached = self._callers.get(uid)
            if cached is not None and time.monotonic() - cached[0] < CALLER_TTL_SECONDS:
                return cached[1]
            async with slots:
                try:
                    return _user_ref((await self._user_info(uid, reuse_answered=True))["user"])
                except errors.PlatformError as err:  # user_not_found, or the call failed
                    log.info("no name for a mentioned user", user=uid, error=err.detail)
                    return None

        wanted = list(dict.fromkeys(ids))
        found = await asyncio.gather(*(one(uid) for uid in wanted))
        return {uid: ref for uid, ref in zip(wanted, found, strict=True) if ref is not None}

    @property
    def email_lookup_conclusive(self) -> bool:
        """users.lookupByEmail answers users_not_found only for an address nobody has; without
        users:read.email it fails (missing_scope) instead."""
        return True

    @property
    def email_access(self) -> str:
        return (
            "Slack shows the bot e-mail addresses only with the users:read.email scope: add "
            "it under OAuth & Permissions → Bot Token Scopes and reinstall the app"
        )

    async def remove_member(self, room: RoomRef, user: UserRef, reason: str | None = None) -> str:
        await self._paced_change()
        call = self._api().conversations_kick(channel=room.id, user=user.id)
        return json.dumps(await self._call("conversations.kick", call))

    async def reply(self, inv: Invocation, reply: Reply) -> None:
        kwargs: dict[str, Any] = {"unfurl_links": False, "unfurl_media": False}
        if inv.thread is not None:
            kwargs["thread_ts"] = inv.thread
        call = self._api().chat_postMessage(channel=inv.room.id, text=render(reply), **kwargs)
        await self._call("chat.postMessage", call)

    # --- SupportsDirectMessage: conversations.open, then a message there -----------------------

    async def send_direct(self, user: UserRef, reply: Reply) -> None:
        api = self._api()
        opened = await self._call("conversations.open", api.conversations_open(users=user.id))
        channel = str((opened.get("channel") or {}).get("id") or "")
        if not channel:
            raise errors.BadRequest(f"Slack opened no direct message with {user.id}")
        call = api.chat_postMessage(
            channel=channel, text=render(reply), unfurl_links=False, unfurl_media=False
        )
        await self._call("chat.postMessage", call)

    # --- SupportsUndo: re-adding is conversations.invite ----------------------------------------

    async def add_member(self, room: RoomRef, user: UserRef) -> str:
        await self._paced_change()
        call = self._api().conversations_invite(channel=room.id, users=user.id)
        data = await self._call("conversations.invite", call)
        return json.dumps({"ok": data.get("ok")})

    async def promote_owner(self, room: RoomRef, user: UserRef) -> str:
        # Never needed for a kick (Slack members carry no owner flag), kept for the protocol.
        raise errors.Forbidden(
            "Slack offers bots no API to make someone a channel manager; "
            "a workspace admin can do it in the channel's settings"
        )

    # --- SupportsUserRooms --------------------------------------------------------------------

    async def rooms_of(self, user: UserRef) -> Sequence[RoomInfo]:
        """The channels the bot is in (its own ``users.conversations``, public and private,
        archived ones too) where ``user`` is a member. Listing ``user``'s channels instead would
        name public channels the bot is not in, where it cannot act."""
        channels: list[dict[str, Any]] = []
        try:
            async for page in await self._api().users_conversations(
                types="public_channel,private_channel", exclude_archived=False, limit=200
            ):
                channels.extend(page["channels"])
        except Exception as exc:
            raise to_platform_error("users.conversations", exc) from exc
        rooms = []
        for channel in channels:
            room = RoomRef(str(channel["id"]))
            if any(m.user.id == user.id for m in await self.members(room)):
                name = str(channel.get("name") or room.id)
                rooms.append(RoomInfo(room, name, not channel.get("is_archived", False)))
        return rooms

    # --- SupportsOwnerLookup ------------------------------------------------------------------

    async def is_room_owner(self, room: RoomRef, user: UserRef) -> bool:
        """A workspace owner or admin, or the channel's creator."""
        api = self._api()
        info = (await self._user_info(user.id, reuse_answered=False))["user"]
        if info.get("is_owner") or info.get("is_admin") or info.get("is_primary_owner"):
            return True
        creator = self._creators.get(room.id)
        if creator is None:
            call = api.conversations_info(channel=room.id)
            creator = self._note_creator(
                room.id, (await self._call("conversations.info", call))["channel"]
            )
        return creator == user.id

    async def _user_info(self, user_id: str, *, reuse_answered: bool) -> dict[str, Any]:
        """``users.info``, shared with a call for the same user under way, or (with
        ``reuse_answered``) answered within ``INFO_REUSE_SECONDS``, a failure included."""
        now = time.monotonic()
        hit = self._infos.get(user_id)
        stale = hit is not None and hit[1].done() and not reuse_answered
        if hit is None or stale or now - hit[0] > INFO_REUSE_SECONDS:
            if len(self._infos) >= INFOS_KEPT:
                self._infos = {k: v for k, v in self._infos.items() if not v[1].done()}
            call = self._call("users.info", self._api().users_info(user=user_id))
            hit = self._infos[user_id] = (now, asyncio.ensure_future(call))
            hit[1].add_done_callback(_retrieved)
        return await asyncio.shield(hit[1])

    def _note_creator(self, channel: str, info: Mapping[str, Any]) -> str | None:
        """Keep a channel's creator (it never changes), so that the owner check after a
        ``room_info`` makes no second ``conversations.info`` call."""
        creator = info.get("creator")
        if not isinstance(creator, str) or not creator:
            return None
        if len(self._creators) >= CREATORS_KEPT:
            del self._creators[next(iter(self._creators))]
        self._creators[channel] = creator
        return creator

    async def _call(self, method: str, call: Awaitable[AsyncSlackResponse]) -> dict[str, Any]:
        retries: list[int] = []
        noting = _RESENT.set(retries)
        try:
            response = await call
        except Exception as exc:
            err = to_platform_error(method, exc)
            err.resent = bool(retries)  # an earlier attempt may have acted
            raise err from exc
        finally:
            _RESENT.reset(noting)
        return response.data if isinstance(response.data, dict) else {}


def _retrieved(done: asyncio.Future[dict[str, Any]]) -> None:
    if not done.cancelled():
        done.exception()  # every asker may have gone; those left get it raised


TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
MAX_AGE_SECONDS = 5 * 60
"""Slack's rule: a request signed more than five minutes from now may be a replay."""
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def signature_problem(
    secret: bytes, headers: Mapping[str, str], body: bytes, now: float
) -> str | None:
    """Why a request is not a fresh request signed by Slack (None: it is). Slack signs
    ``v0:{timestamp}:{body}``; the timestamp is whole seconds, and anything else (``abc``,
    ``1e3``, digits of other scripts that ``int()`` would take) is refused here, as is a
    signature that is not what Slack's secret gives."""
    timestamp = headers.get(TIMESTAMP_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if timestamp is None or signature is None:
        return f"missing {SIGNATURE_HEADER if timestamp is not None else TIMESTAMP_HEADER}"
    if _TIMESTAMP.fullmatch(timestamp) is None:
        return f"{TIMESTAMP_HEADER} is not a number of seconds"
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        return f"{TIMESTAMP_HEADER} is more than five minutes from now"
    # slack_sdk's SignatureVerifier decodes the body as UTF-8 first (and fails on other
    # bytes): the same HMAC over the bytes as they came.
    mac = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    expected = b"v0=" + mac.hexdigest().encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
        return "the signature does not match"
    return None


def _is_ssl_check(body: bytes) -> bool:
    """Slack's ``ssl_check=1`` POST (a check of the certificate, answered 200, nothing done;
    Bolt answers it before any signature check too)."""
    fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields.get("ssl_check") == "1"


def _user_ref(user: dict[str, Any]) -> UserRef:
    profile = user.get("profile") or {}
    display = profile.get("display_name") or profile.get("real_name") or user.get("name")
    email = profile.get("email")
    return UserRef(str(user["id"]), str(display) if display else None, email or None)
