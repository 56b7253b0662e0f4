"""Receiving: datafeed v2. The listener only turns a MESSAGESENT event into an ``Invocation``
and hands it to the sink, which records it durably; if that fails it raises ``EventError`` so the
BDK does not ack the batch and Symphony delivers the event again. The loop is kept alive: the
BDK's ends for good on some errors, and is started again with a backoff."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from symphony.bdk.core.activity.parsing.input_tokenizer import InputTokenizer
from symphony.bdk.core.service.datafeed.exception import EventError
from symphony.bdk.core.service.datafeed.real_time_event_listener import RealTimeEventListener
from symphony.bdk.core.symphony_bdk import SymphonyBdk
from symphony.bdk.gen.agent_model.v4_initiator import V4Initiator
from symphony.bdk.gen.agent_model.v4_message_sent import V4MessageSent

from bot.model import Invocation, RoomRef, UserRef
from bot.platform import InvocationSink
from bot.platforms.symphony.calls import url_safe_id
from bot.platforms.symphony.text import token

log = structlog.get_logger(__name__)


class _Listener(RealTimeEventListener):  # type: ignore[misc]
    def __init__(self, sink: InvocationSink):
        self._sink = sink

    async def on_message_sent(self, initiator: V4Initiator, event: V4MessageSent) -> None:
        message = event.message
        if message is None or message.stream is None or message.stream.stream_type != "ROOM":
            return
        try:
            tokens = tuple(token(t) for t in InputTokenizer(message).tokens)
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


class Datafeed:
    """The datafeed loop of a started BDK, delivering to ``sink``."""

    def __init__(self, bdk: SymphonyBdk, sink: InvocationSink) -> None:
        self._bdk = bdk
        bdk.datafeed().subscribe(_Listener(sink))
        self._stopping = False
        self.task = asyncio.create_task(self._run(), name="symphony-datafeed")

    async def _run(self) -> None:
        """Keep the datafeed loop alive: the BDK's loop ends for good on some errors (a 400 on
        read after the feed expired, retries exhausted); start it again with a backoff."""
        bdk = self._bdk
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
        await self._bdk.datafeed().stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, timeout=5)
