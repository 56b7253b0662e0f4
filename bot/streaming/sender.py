"""What a sink's sender does (``Sender``), how it fails (``SinkFailure``), and the sender for
a sink's settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.audit.links import Record
from bot.streaming.settings import SplunkHecSink, SyslogSink


class SinkFailure(Exception):
    """A batch was not acknowledged. ``refused``: the sink answered that it will not take
    it as it is (a bad token, invalid data): tried again slowly, never dropped."""

    def __init__(self, message: str, *, refused: bool = False):
        super().__init__(message)
        self.refused = refused


class Sender(Protocol):
    async def send(self, records: Sequence[Record]) -> None:
        """Send records, in order; return once the sink has acknowledged every one of them,
        else raise ``SinkFailure`` (none counts as acknowledged)."""
        ...

    async def close(self) -> None: ...


def epoch_seconds(at: str) -> float:
    """A record's time (ISO 8601 with its offset) in seconds since the epoch."""
    return datetime.fromisoformat(at).timestamp()


def sender_for(sink: SyslogSink | SplunkHecSink) -> Sender:
    """The sender for a sink (its library imported now)."""
    if isinstance(sink, SplunkHecSink):
        from bot.streaming.hec import HecSender

        return HecSender(sink)
    from bot.streaming.syslog import SyslogSender

    return SyslogSender(sink)
