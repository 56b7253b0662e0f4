"""Catching up: what arrived while the messaging session was down is read from each channel's
history (``ListChannelMessages``), from the newest message the bot handled there.

The session delivers a message only "as long as the WebSocket connection stays opened" (guide
``websockets``); nothing is replayed after a reconnect. So each channel has a ``ChannelReader``
that handles its messages one at a time, in order: the live ones from the socket, and after
every (re)connect (and at start) the channel's history from its read position. A message is
handed on at most once per arrival; the store records a command once per message id, so a
message seen both live and in the history (or read again after a restart) is acted on once.

Positions (``PositionBook``) are kept in memory and saved to the store every few seconds and at
stop: a position saved late only means a few messages read again. A channel with no position
of its own is read from the *horizon*, when the previous session began (minus a margin for
clocks), but never from before the bot became a member (a command typed before the bot
joined is not its to act on).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_random_exponential

from bot import errors
from bot.model import ReadPosition
from bot.platform import ReadPositions
from bot.platforms.chime_sdk.session_wire import position

log = structlog.get_logger(__name__)

HORIZON = ""
"""The position key of the horizon (no channel ARN is empty)."""
_SUB = "\n"
"""Between a channel ARN and a sub-channel id in a key (no ARN holds a line break: the
model's ARN pattern is ``…:[^/].{0,1023}``, and ``.`` matches no line break)."""


def room_key(channel_arn: str, sub_channel: str | None = None) -> str:
    return f"{channel_arn}{_SUB}{sub_channel}" if sub_channel else channel_arn


def split_key(key: str) -> tuple[str, str | None]:
    channel, _, sub = key.partition(_SUB)
    return channel, sub or None


class History(Protocol):
    """The REST calls catching up needs (the adapter's signed client)."""

    def channel_messages(
        self, channel_arn: str, sub_channel: str | None, not_before: float
    ) -> AsyncIterator[dict[str, Any]]:
        """ListChannelMessages, oldest first, from ``not_before`` (epoch seconds), every page;
        each summary with ``ChannelArn`` (and ``SubChannelId``) set."""
        ...

    async def joined_at(self, channel_arn: str, sub_channel: str | None) -> float | None:
        """When the bot became a member of the channel (DescribeChannelMembership's
        ``CreatedTimestamp``); None if it is not one."""
        ...


class PositionBook:
    """Read positions of one bot account: in memory, saved to the store by ``flush``."""

    def __init__(self, platform: str, account: str) -> None:
        self._platform = platform
        self._account = account
        self._store: ReadPositions | None = None
        self._known: dict[str, ReadPosition] = {}
        self._dirty: dict[str, ReadPosition] = {}

    def use(self, store: ReadPositions) -> None:
        self._store = store

    @property
    def durable(self) -> bool:
        return self._store is not None

    async def load(self) -> None:
        if self._store is not None:
            self._known = await self._store.load(self._platform, self._account)

    def channels(self) -> list[str]:
        """The keys of the channels with a position (not the horizon)."""
        return [key for key in self._known if key != HORIZON]

    def get(self, key: str) -> ReadPosition | None:
        return self._known.get(key)

    @property
    def horizon(self) -> ReadPosition | None:
        return self._known.get(HORIZON)

    def advance(self, key: str, to: ReadPosition) -> None:
        known = self._known.get(key)
        if known is None or to > known:
            self._known[key] = to
            self._dirty[key] = to

    async def flush(self) -> None:
        if self._store is None or not self._dirty:
            return
        dirty, self._dirty = self._dirty, {}
        try:
            await self._store.save(self._platform, self._account, dirty)
        except BaseException:
            for key, value in dirty.items():  # kept for the next flush (unless newer)
                self._dirty.setdefault(key, value)
            raise


@dataclass
class _CatchUp:
    horizon: ReadPosition | None
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def gave_up(exc: BaseException) -> bool:
    """The channel's history cannot be read by the bot (no longer a member, channel gone)."""
    return isinstance(exc, errors.Forbidden | errors.NotFound | errors.BadRequest)


@dataclass(frozen=True)
class ReaderSettings:
    overlap_seconds: float = 30.0
    """Read the history from this long before the position: a message delivered late (after
    a newer one) is not skipped; the store drops what was recorded already."""
    retry_initial_seconds: float = 1.0
    retry_max_seconds: float = 30.0


class ChannelReader:
    """One channel's messages, one at a time: live ones, and its history after a connect."""

    def __init__(
        self,
        key: str,
        book: PositionBook,
        history: History,
        handle: Callable[[dict[str, Any]], Awaitable[None]],
        gate: asyncio.Semaphore,
        settings: ReaderSettings,
    ) -> None:
        self.key = key
        self._channel, self._sub = split_key(key)
        self._book = book
        self._history = history
        self._handle = handle
        self._gate = gate
        self._settings = settings
        self._queue: asyncio.Queue[dict[str, Any] | _CatchUp] = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name=f"chime-sdk-reader:{key}")
        self.abandoned = False
        """Its history could not be read (not a member any more): catch-ups are skipped."""

    def live(self, message: dict[str, Any]) -> None:
        self._queue.put_nowait(message)

    def catch_up(self, horizon: ReadPosition | None) -> asyncio.Future[None]:
        """Read the history before the next live message; done once it has been read (or
        given up on)."""
        item = _CatchUp(horizon)
        self._queue.put_nowait(item)
        return item.done

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        horizon: ReadPosition | None = None
        while True:
            item = await self._queue.get()
            if isinstance(item, _CatchUp):
                horizon = item.horizon
                self.abandoned = False  # each session tries again (the bot may be back in)
                try:
                    await self._read_history(horizon)
                finally:
                    if not item.done.done():
                        item.done.set_result(None)
                continue
            try:
                await self._one(item)
            except Exception as exc:  # not recorded: read it (and what follows) again
                log.warning(
                    "chime_sdk message not recorded; reading the channel again",
                    channel=self.key,
                    error=repr(exc),
                )
                await asyncio.sleep(self._settings.retry_initial_seconds)
                await self._read_history(horizon)

    async def _one(self, message: dict[str, Any]) -> None:
        await self._handle(message)
        if (at := position(message)) is not None:
            self._book.advance(self.key, at)

    async def _since(self, horizon: ReadPosition | None) -> float | None:
        known = self._book.get(self.key)
        if known is not None:
            return known.at - self._settings.overlap_seconds
        if horizon is None:
            return None  # the bot's first session: nothing before it is its to act on
        joined = await self._history.joined_at(self._channel, self._sub)
        if joined is None:
            return None
        return max(horizon.at, joined)

    async def _read_history(self, horizon: ReadPosition | None) -> None:
        if self.abandoned:
            return
        s = self._settings
        retrying = AsyncRetrying(
            wait=wait_random_exponential(
                multiplier=s.retry_initial_seconds, max=s.retry_max_seconds
            ),
            retry=retry_if_exception(lambda exc: isinstance(exc, Exception) and not gave_up(exc)),
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    async with self._gate:
                        since = await self._since(horizon)
                        if since is None:
                            return
                        read = 0
                        async for message in self._history.channel_messages(
                            self._channel, self._sub, since
                        ):
                            await self._one(message)
                            read += 1
                    log.info("chime_sdk channel caught up", channel=self.key, messages=read)
        except Exception as exc:
            self.abandoned = True
            log.warning("chime_sdk channel history not readable", channel=self.key, error=str(exc))

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else None
        log.info(
            "chime_sdk catch-up retried",
            channel=self.key,
            attempt=state.attempt_number,
            error=repr(exc),
            wait_s=wait,
        )
