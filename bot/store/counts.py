"""Counts for the operations endpoint's gauges: cases queued and running per platform, and the
audit chain's length (its last sequence number), and how far each audit sink has
acknowledged it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.store.connection import Connection
from bot.store.records import JobState


@dataclass(frozen=True)
class Counts:
    queued: dict[str, int] = field(default_factory=dict)
    running: dict[str, int] = field(default_factory=dict)
    audit_records: int = 0
    sinks_acknowledged: dict[str, int] = field(default_factory=dict)
    """Each audit sink's last acknowledged sequence number, by name."""


def read_counts(conn: Connection) -> Counts:
    rows = conn.rows(
        "SELECT platform, state, COUNT(*) AS n FROM commands WHERE state IN (:queued, :running)"
        " GROUP BY platform, state",
        {"queued": JobState.QUEUED.value, "running": JobState.RUNNING.value},
    )
    queued = {r["platform"]: int(r["n"]) for r in rows if r["state"] == JobState.QUEUED}
    running = {r["platform"]: int(r["n"]) for r in rows if r["state"] == JobState.RUNNING}
    last = conn.rows("SELECT MAX(seq) AS seq FROM audit_log")
    seq = last[0]["seq"] if last else None
    acknowledged = {
        str(r["name"]): int(r["acknowledged"])
        for r in conn.rows("SELECT name, acknowledged FROM audit_sinks")
    }
    return Counts(queued, running, int(seq or 0), acknowledged)
