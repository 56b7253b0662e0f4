"""Each sink's lag behind the chain: what ``kickbot audit stream --status`` prints and the
``kickbot_audit_sink_lag_records`` gauge shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.audit_sinks import SinkPosition


@dataclass(frozen=True)
class SinkStatus:
    name: str
    kind: str | None
    """``syslog`` or ``splunk_hec``; None: in the store, no longer configured."""
    acknowledged: int
    head: int
    sent_at: str | None
    error: str | None
    error_at: str | None

    @property
    def lag(self) -> int:
        return max(self.head - self.acknowledged, 0)

    def line(self) -> str:
        kind = self.kind or "not configured"
        text = (
            f"{self.name} ({kind}): acknowledged #{self.acknowledged} of #{self.head},"
            f" {self.lag} behind; last sent {self.sent_at or 'never'}"
        )
        if self.error is not None:
            text += f"; last error at {self.error_at}: {self.error}"
        return text


def statuses(
    configured: Sequence[tuple[str, str]], head: int, positions: Sequence[SinkPosition]
) -> list[SinkStatus]:
    """Every configured sink (name, kind), in the config's order (one the store has never
    streamed: acknowledged 0), then the store's rows of sinks no longer configured."""
    found = {p.name: p for p in positions}
    rows: list[tuple[SinkPosition, str | None]] = [
        (found.pop(name, SinkPosition(name, 0)), kind) for name, kind in configured
    ]
    rows += [(p, None) for p in found.values()]
    return [
        SinkStatus(p.name, kind, p.acknowledged, head, p.sent_at, p.error, p.error_at)
        for p, kind in rows
    ]
