"""How far each audit sink has acknowledged the chain (``audit_sinks``), and the records it
has still to be sent.

A sink's position only moves forward. One instance streams a sink at a time: it holds the
sink's row (``holder``) for a lease it renews as it works; another instance takes the sink
over when the lease has lapsed, or at once when the holder was a process of this host that
no longer runs (a restart after a crash; but a process with the same pid, like a restarted
container's pid 1, waits for the lease). Each acknowledgement is written by the holder only,
so an instance that lost the sink stops moving its position."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot import audit
from bot.audit.links import Record
from bot.store.connection import Connection
from bot.store.database import Database, for_update, storable
from bot.store.journal import now_iso

_COLUMNS = "name, acknowledged, sent_at, error, error_at, holder, lease_until"
_RECORD_COLUMNS = "seq, at, kind, case_id, payload, prev_hash, hash, link"


@dataclass(frozen=True)
class SinkPosition:
    """A sink's row: its last acknowledged sequence number, when records last went out, its
    last error (None once records are acknowledged again), who streams it."""

    name: str
    acknowledged: int
    sent_at: str | None = None
    error: str | None = None
    error_at: str | None = None
    holder: str | None = None
    lease_until: float | None = None


def holder_id() -> str:
    """This process, as a sink's holder: ``host/pid/start``."""
    return f"{os.uname().nodename}/{os.getpid()}/{time.time_ns():x}"


def _gone(holder: str | None) -> bool:
    """Whether a holder was a process of this host that has ended (its lease need not be
    waited out). A holder of another host, or one still running, is not gone."""
    if holder is None:
        return True
    host, _, rest = holder.partition("/")
    pid_text, _, _ = rest.partition("/")
    if host != os.uname().nodename or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # runs, as another user
    return False


def end_seq(conn: Connection) -> int:
    """The chain's last sequence number: of the log, else of the last pruning checkpoint."""
    end = audit.chain_end(conn)
    return end.seq if end is not None else 0


class AuditSinkPositions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim(
        self, name: str, holder: str, lease_seconds: float, *, from_end: bool = False
    ) -> int | None:
        """Hold ``name`` for ``lease_seconds`` (made at 0, or at the chain's end with
        ``from_end``, if new); its acknowledged sequence number, or None while another
        instance holds it."""

        def claim(conn: Connection) -> int | None:
            now = time.time()
            select = f"SELECT {_COLUMNS} FROM audit_sinks WHERE name = :name{for_update(conn)}"
            row = conn.row(select, {"name": name})
            if row is None:  # new: made here, or by another instance just now
                conn.execute(
                    "INSERT INTO audit_sinks (name, acknowledged) VALUES (:name, :seq)"
                    " ON CONFLICT (name) DO NOTHING",
                    {"name": name, "seq": end_seq(conn) if from_end else 0},
                )
                row = conn.row(select, {"name": name})
                assert row is not None
            mine = row["holder"] == holder
            lapsed = row["lease_until"] is None or float(row["lease_until"]) < now
            if not (mine or lapsed or _gone(row["holder"])):
                return None
            conn.execute(
                "UPDATE audit_sinks SET holder = :holder, lease_until = :until WHERE name = :name",
                {"name": name, "holder": holder, "until": now + lease_seconds},
            )
            return int(row["acknowledged"])

        return await self._db.run(claim, atomic=True)

    async def records_after(self, seq: int, limit: int) -> list[Record]:
        """The chain's records after ``seq``, oldest first, at most ``limit``."""

        def read(conn: Connection) -> list[Record]:
            rows = conn.rows(
                f"SELECT {_RECORD_COLUMNS} FROM audit_log WHERE seq > :seq ORDER BY seq"
                f" LIMIT {int(limit)}",
                {"seq": seq},
            )
            return [Record(**r) for r in rows]

        return await self._db.run(read)

    async def _held_update(self, name: str, holder: str, sets: str, **values: object) -> bool:
        """``UPDATE … SET sets`` on the sink's row while ``holder`` holds it; whether it did."""
        params = {"name": name, "holder": holder, **values}
        sql = f"UPDATE audit_sinks SET {sets} WHERE name = :name AND holder = :holder"
        return await self._db.run(lambda conn: conn.execute(sql, params) == 1)

    async def acknowledge(self, name: str, holder: str, seq: int, lease_seconds: float) -> bool:
        """Every record up to ``seq`` acknowledged by the sink (its error cleared, the lease
        renewed); False when ``holder`` no longer holds the sink (nothing written)."""
        return await self._held_update(
            name,
            holder,
            "acknowledged = CASE WHEN acknowledged < :seq THEN :seq ELSE acknowledged END,"
            " sent_at = :at, error = NULL, error_at = NULL, lease_until = :until",
            seq=seq,
            at=now_iso(),
            until=time.time() + lease_seconds,
        )

    async def failed(self, name: str, holder: str, error: str, lease_seconds: float) -> bool:
        """The sink's last error (the lease renewed past the wait before the next try)."""
        return await self._held_update(
            name,
            holder,
            "error = :error, error_at = :at, lease_until = :until",
            error=storable(error)[:2000],
            at=now_iso(),
            until=time.time() + lease_seconds,
        )

    async def release(self, name: str, holder: str) -> None:
        """Let another instance take the sink over at once (this one stops)."""
        await self._held_update(name, holder, "holder = NULL, lease_until = NULL")

    async def held(self, names: Sequence[str] | None) -> tuple[int, str] | None:
        """How far records may be pruned for these sinks (None: every sink in the store):
        the last record all of them have acknowledged, and the sink furthest behind; None
        when none of them is behind the chain's end. A sink never streamed to has
        acknowledged nothing."""
        head, positions = await self.positions()
        acknowledged = {p.name: p.acknowledged for p in positions}
        wanted = list(names) if names is not None else list(acknowledged)
        if not wanted:
            return None
        slowest = min(wanted, key=lambda name: acknowledged.get(name, 0))
        through = acknowledged.get(slowest, 0)
        return (through, slowest) if through < head else None

    async def positions(self) -> tuple[int, list[SinkPosition]]:
        """The chain's last sequence number and every sink's row, by name."""

        def read(conn: Connection) -> tuple[int, list[SinkPosition]]:
            rows = conn.rows(f"SELECT {_COLUMNS} FROM audit_sinks ORDER BY name")
            return end_seq(conn), [SinkPosition(**r) for r in rows]

        return await self._db.run(read)
