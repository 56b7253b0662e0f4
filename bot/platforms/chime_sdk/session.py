"""The messaging session: commands arrive over Amazon Chime SDK's WebSocket.

As the developer guide (``websockets``, ``handle-disconnects``) and the JS SDK's
``DefaultMessagingSession`` do it: ``GetMessagingSessionEndpoint`` (signed REST), then the
presigned ``/connect`` (``session_wire``), one ``sessionId`` for the session's life. Frames
before ``SESSION_ESTABLISHED`` are held until it comes (it is not always the first); from then
on every message of the bot's channels is delivered while the socket stays open. Each
``CREATE_CHANNEL_MESSAGE`` of type STANDARD goes to its channel's reader (``catchup``), which
hands it to the adapter; the bot's own messages (the service sends them back to it too) and
every other event are left alone.

A dropped connection is made again at once, then with jittered, capped exponential waits
(tenacity), each time with a fresh endpoint and a fresh signature (credentials refreshed).
After each ``SESSION_ESTABLISHED`` every channel reads what it missed. Close codes 4002
(client initiated), 4003 (forbidden) and 4401 (not authorized), and a ``/connect`` or endpoint
call refused with 401 or 403, end the session with ``SessionRefused``: trying again would not
help, and the bot must say that it hears nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_random_exponential
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from bot import errors
from bot.model import ReadPosition
from bot.platforms.chime_sdk.catchup import (
    HORIZON,
    ChannelReader,
    History,
    PositionBook,
    ReaderSettings,
    gave_up,
    room_key,
)
from bot.platforms.chime_sdk.session_wire import (
    CREATE_CHANNEL_MESSAGE,
    SESSION_ESTABLISHED,
    STANDARD,
    BadEndpoint,
    Frame,
    connect_url,
    parse_frame,
    sender_arn,
)

log = structlog.get_logger(__name__)

FINAL_CLOSE_CODES = frozenset({4002, 4003, 4401})
"""Not to reconnect on (guide ``handle-disconnects``; the JS SDK's ``canReconnect``)."""


class SessionApi(History, Protocol):
    async def messaging_session_endpoint(self) -> str:
        """GetMessagingSessionEndpoint's ``Endpoint.Url``."""
        ...

    def bot_channels(self) -> AsyncIterator[tuple[str, str | None]]:
        """(channel ARN, sub-channel id) of every channel the bot is a member of."""
        ...


class SessionRefused(errors.PlatformError):
    """The service will not let the bot in: the session has ended."""


class _Dropped(Exception):
    """The connection ended or could not be made; to be tried again."""


@dataclass(frozen=True)
class SessionSettings:
    reconnect_initial_seconds: float = 1.0
    reconnect_max_seconds: float = 30.0
    open_timeout_seconds: float = 10.0
    ping_interval_seconds: float = 20.0
    max_frame_bytes: int = 256 * 1024
    flush_seconds: float = 2.0
    """How often read positions are saved to the store."""
    horizon_margin_seconds: float = 30.0
    """The horizon is set this long before the session began (clocks differ)."""
    catch_up_concurrency: int = 4
    """Channels reading their history at once (ListChannelMessages calls in flight)."""
    reader: ReaderSettings = field(default_factory=ReaderSettings)


class MessagingSession:
    def __init__(
        self,
        *,
        api: SessionApi,
        credentials: Any,
        region: str,
        bot_arn: str,
        secure: bool,
        deliver: Callable[[dict[str, Any]], Awaitable[bool]],
        book: PositionBook,
        settings: SessionSettings | None = None,
    ) -> None:
        self._api = api
        self._credentials = credentials
        self._region = region
        self._bot_arn = bot_arn
        self._secure = secure
        self._deliver = deliver
        self._book = book
        self._settings = settings or SessionSettings()
        self.session_id = str(uuid.uuid4())
        self._readers: dict[str, ChannelReader] = {}
        self._gate = asyncio.Semaphore(self._settings.catch_up_concurrency)
        self._horizon: ReadPosition | None = None
        self._ws: ClientConnection | None = None
        self._feed: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._catching_up: asyncio.Task[None] | None = None
        self.established = asyncio.Event()
        """Set while a session is established (tests and the demo wait for it)."""
        self.connections = 0
        """Sessions established so far."""
        self.caught_up = asyncio.Event()
        """Set once every channel has read what it missed since the last session began
        (cleared while a session is being established and caught up)."""
        self._was_established = False
        self.on_handled: list[Callable[[str, bool], None]] = []
        """Told (message id, whether a command was recorded) after each message is handled,
        live or caught up (the demo waits on it)."""

    @property
    def feed(self) -> asyncio.Task[None] | None:
        return self._feed

    async def start(self) -> None:
        await self._book.load()
        if not self._book.durable:
            log.warning("chime_sdk read positions are not kept: a restart cannot catch up")
        self._horizon = self._book.horizon
        for key in self._book.channels():
            self._reader(key)
        self._flusher = asyncio.create_task(self._flush_often(), name="chime-sdk-positions")
        self._feed = asyncio.create_task(self._run(), name="chime-sdk-session")

    async def stop(self) -> None:
        for task in (self._feed, self._catching_up, self._flusher):
            if task is not None:
                task.cancel()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        for task in (self._feed, self._catching_up, self._flusher):
            if task is not None:
                with contextlib.suppress(BaseException):
                    await task
        for reader in list(self._readers.values()):
            await reader.close()
        self._readers.clear()
        await self._book.flush()

    # --- connecting -----------------------------------------------------------------------

    async def _run(self) -> None:
        s = self._settings
        while True:
            retrying = AsyncRetrying(
                wait=wait_random_exponential(
                    multiplier=s.reconnect_initial_seconds, max=s.reconnect_max_seconds
                ),
                retry=retry_if_exception(lambda exc: isinstance(exc, _Dropped)),
                before_sleep=_log_reconnect,
            )
            async for attempt in retrying:
                with attempt:
                    await self._connect_once()
            # It was established, then dropped: again at once (a short jitter, so that a
            # server that closes every new session is not hammered).
            await asyncio.sleep(random.uniform(0, s.reconnect_initial_seconds))

    async def _connect_once(self) -> None:
        s = self._settings
        try:
            endpoint = await self._api.messaging_session_endpoint()
            url = connect_url(
                endpoint,
                secure=self._secure,
                credentials=self._credentials,
                region=self._region,
                user_arn=self._bot_arn,
                session_id=self.session_id,
            )
        except (errors.Unauthorized, errors.Forbidden) as exc:
            raise SessionRefused(f"GetMessagingSessionEndpoint was refused: {exc}") from exc
        except (errors.PlatformError, BadEndpoint) as exc:
            raise _Dropped(f"no messaging session endpoint: {exc}") from exc
        log.info("chime_sdk session connecting", endpoint=endpoint, session=self.session_id)
        try:
            async with connect(
                url,
                open_timeout=s.open_timeout_seconds,
                ping_interval=s.ping_interval_seconds,
                ping_timeout=s.ping_interval_seconds,
                max_size=s.max_frame_bytes,
                proxy=None if not self._secure else True,
                user_agent_header="kickbot-chime-sdk",
            ) as ws:
                self._ws = ws
                try:
                    await self._receive(ws)
                finally:
                    self._ws = None
                    self.established.clear()
                    self.caught_up.clear()
                    if self._catching_up is not None:  # the next session catches up anew
                        self._catching_up.cancel()
                code, reason = ws.close_code, ws.close_reason
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise SessionRefused(
                    f"/connect was refused ({status}): the credentials must allow chime:Connect"
                    f" on {self._bot_arn}"
                ) from exc
            raise _Dropped(f"/connect answered {status}") from exc
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else 1006
            reason = exc.rcvd.reason if exc.rcvd is not None else ""
        except (OSError, TimeoutError, WebSocketException) as exc:
            raise _Dropped(f"cannot connect: {exc!r}") from exc
        log.info("chime_sdk session closed", code=code, reason=reason)
        if code in FINAL_CLOSE_CODES:
            raise SessionRefused(f"the messaging session was closed with {code} {reason}".strip())
        if not self._was_established:
            raise _Dropped(f"closed with {code} before the session was established")

    # --- receiving ------------------------------------------------------------------------

    async def _receive(self, ws: ClientConnection) -> None:
        self._was_established = False
        early: list[Frame] = []
        async for raw in ws:
            frame = parse_frame(raw)
            if frame is None:
                log.warning("chime_sdk frame dropped: not a frame", size=len(raw))
                continue
            if not self._was_established:
                if frame.event_type != SESSION_ESTABLISHED:
                    early.append(frame)  # delivered once established (the JS SDK does too)
                    continue
                self._on_established()
                for held in early:
                    self._route(held)
                early.clear()
                continue
            self._route(frame)

    def _on_established(self) -> None:
        self._was_established = True
        self.connections += 1
        self.caught_up.clear()
        started = time.time()
        log.info("chime_sdk session established", session=self.session_id, n=self.connections)
        horizon = self._horizon
        waiting = [reader.catch_up(horizon) for reader in self._readers.values()]
        if self._catching_up is not None:
            self._catching_up.cancel()
        self._catching_up = asyncio.create_task(
            self._catch_up(horizon, waiting, started), name="chime-sdk-catch-up"
        )
        self.established.set()

    async def _catch_up(
        self, horizon: ReadPosition | None, waiting: list[asyncio.Future[None]], started: float
    ) -> None:
        """Every channel of the bot reads its history; then the horizon moves to this
        session's start (a channel without a position of its own is read from there next
        time)."""
        s = self._settings
        retrying = AsyncRetrying(  # until it works, or the next session replaces this one
            wait=wait_random_exponential(
                multiplier=s.reconnect_initial_seconds, max=s.reconnect_max_seconds
            ),
            retry=retry_if_exception(
                lambda exc: isinstance(exc, errors.PlatformError) and not gave_up(exc)
            ),
            before_sleep=_log_listing_retry,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    async for channel, sub in self._api.bot_channels():
                        key = room_key(channel, sub)
                        if key not in self._readers:
                            waiting.append(self._reader(key).catch_up(horizon))
        except errors.PlatformError as exc:
            log.warning("chime_sdk channels not listed; the horizon stays", error=str(exc))
            return
        await asyncio.gather(*waiting)
        at = started - self._settings.horizon_margin_seconds
        self._horizon = ReadPosition(at, "")
        self._book.advance(HORIZON, self._horizon)
        await self._book.flush()
        self.caught_up.set()
        log.info("chime_sdk caught up", channels=len(self._readers))

    def _route(self, frame: Frame) -> None:
        if frame.event_type != CREATE_CHANNEL_MESSAGE or frame.message_type != STANDARD:
            log.debug("chime_sdk event ignored", event_type=frame.event_type)
            return
        message = frame.payload
        channel = message.get("ChannelArn") if message is not None else None
        if message is None or not isinstance(channel, str) or not channel:
            log.warning("chime_sdk message dropped: no payload or ChannelArn")
            return
        sub = message.get("SubChannelId")
        key = room_key(channel, sub if isinstance(sub, str) else None)
        reader = self._readers.get(key)
        if reader is None:  # a channel new to this session: its history first
            reader = self._reader(key)
            reader.catch_up(self._horizon)
        reader.live(message)

    def _reader(self, key: str) -> ChannelReader:
        reader = ChannelReader(
            key, self._book, self._api, self._handle, self._gate, self._settings.reader
        )
        self._readers[key] = reader
        return reader

    async def _handle(self, message: dict[str, Any]) -> None:
        """One channel message, live or from the history: to the adapter unless it is the
        bot's own or not a standard message."""
        recorded = False
        if (
            sender_arn(message) != self._bot_arn
            and message.get("Type") == STANDARD
            and message.get("Redacted") is not True
        ):
            recorded = await self._deliver(message)
        message_id = message.get("MessageId")
        if isinstance(message_id, str):
            for callback in self.on_handled:
                callback(message_id, recorded)

    async def _flush_often(self) -> None:
        while True:
            await asyncio.sleep(self._settings.flush_seconds)
            try:
                await self._book.flush()
            except Exception as exc:
                log.warning("chime_sdk read positions not saved", error=repr(exc))


def _log_reconnect(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else None
    log.info(
        "chime_sdk session reconnecting",
        attempt=state.attempt_number,
        error=str(exc),
        wait_s=round(wait, 2) if wait is not None else None,
    )


def _log_listing_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    log.info("chime_sdk channels listed again", attempt=state.attempt_number, error=str(exc))
