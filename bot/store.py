"""The durable store: commands (jobs), per-target results, and the audit trail they form.

SQLite through aiosqlite (WAL, so several bot instances on one host can share a file). A command
is recorded once per (platform, event id): a redelivered event finds its row and does nothing.
Jobs are claimed with a lease, so a job whose instance died is picked up again, and the
per-target results let that second run skip what the first already did.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite

from bot import audit
from bot.errors import ConfigError, StoreError
from bot.model import Invocation, UserRef
from bot.outcome import ItemResult, Status
from bot.reply import from_json, plain, to_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    event_id TEXT NOT NULL,
    room TEXT NOT NULL,
    caller_id TEXT NOT NULL,
    caller_label TEXT NOT NULL,
    command TEXT NOT NULL,
    text TEXT NOT NULL,
    reason TEXT,
    undoes INTEGER,
    invocation TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    outcome TEXT,
    reply TEXT,
    claimed_by TEXT,
    lease_until REAL,
    received_at TEXT NOT NULL,
    finished_at TEXT,
    lane TEXT NOT NULL DEFAULT 'change',
    not_before REAL,
    cancel_requested_by INTEGER,
    total INTEGER,
    UNIQUE (platform, event_id)
);
CREATE INDEX IF NOT EXISTS commands_pending ON commands (state, platform, room);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id INTEGER NOT NULL REFERENCES commands (id),
    target_id TEXT NOT NULL,
    target_label TEXT NOT NULL,
    status TEXT NOT NULL,
    line TEXT NOT NULL,
    platform_response TEXT,
    undo TEXT,
    at TEXT NOT NULL,
    UNIQUE (command_id, target_id)
);
CREATE TABLE IF NOT EXISTS confirmations (
    case_id INTEGER PRIMARY KEY REFERENCES commands (id),
    targets INTEGER NOT NULL,
    estimate_seconds REAL NOT NULL,
    expires_at REAL NOT NULL,
    confirmed_by INTEGER,
    confirmed_at TEXT
);
"""


# Columns added after the first release, for files created before them.
_ADDED_COLUMNS = {
    "lane": "TEXT NOT NULL DEFAULT 'change'",
    "not_before": "REAL",
    "cancel_requested_by": "INTEGER",
    "total": "INTEGER",
}

LANES = ("change", "control")
"""'change' jobs act on a room, one at a time per room across instances; 'control' jobs
(listing, cancelling) never wait behind them."""


P = ParamSpec("P")
R = TypeVar("R")


def _serialised(
    method: Callable[Concatenate[Any, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]:
    """Run a store method alone on the shared connection. Room workers run concurrently; a
    statement of one landing inside another's transaction would be committed or rolled back
    with it, so every use of the connection takes the store's lock."""

    async def run(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._lock:
            return await method(self, *args, **kwargs)

    return run


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


_RUNNABLE = (
    "((state='queued' AND (not_before IS NULL OR not_before <= ?))"
    " OR (state='running' AND lease_until < ?))"
)
"""A job that could be claimed now; takes (now, now)."""


def _lane(lane: str) -> str:
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")
    return lane


def sqlite_path(url: str) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ConfigError(f"store: only sqlite:///PATH URLs are supported, not {url!r}")
    return url[len(prefix) :] or ":memory:"


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    command: str
    invocation: Invocation


@dataclass(frozen=True, slots=True)
class AuditRow:
    case: int
    received_at: str
    finished_at: str | None
    platform: str
    room: str
    caller: str
    caller_id: str
    command: str
    text: str
    reason: str | None
    state: str
    outcome: str | None
    results: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """A case whose plan was shown and waits (or waited) for its caller's ``/confirm``."""

    case: int
    platform: str
    room: str
    caller: UserRef
    command: str
    targets: int
    estimate_seconds: float
    expires_at: float
    """Epoch seconds."""
    confirmed_by: int | None
    state: str

    @property
    def expired(self) -> bool:
        return self.confirmed_by is None and time.time() >= self.expires_at


@dataclass(frozen=True, slots=True)
class OpenJob:
    """A case not finished yet, as ``/jobs`` lists it."""

    case: int
    command: str
    caller: UserRef
    state: str
    """'queued', 'scheduled' (queued with a future ``not_before``), 'running' or 'awaiting'."""
    not_before: float | None
    """Epoch seconds."""
    total: int | None
    settled: int
    """Targets with a final result (not merely planned or started)."""
    received_at: str
    cancel_requested: bool


class Store:
    def __init__(self, db: aiosqlite.Connection):
        self._db = db
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, url: str) -> Store:
        path = sqlite_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
            await db.execute("PRAGMA journal_mode=WAL")
            await db.execute("PRAGMA busy_timeout=5000")
            await db.executescript(_SCHEMA + audit.SCHEMA)
            async with db.execute("PRAGMA table_info(commands)") as cur:
                present = {row[1] for row in await cur.fetchall()}
            for column, decl in _ADDED_COLUMNS.items():
                if column not in present:
                    await db.execute(f"ALTER TABLE commands ADD COLUMN {column} {decl}")
        except Exception as exc:  # sqlite3.Error and OSError alike
            raise StoreError(f"cannot open the store at {url}: {exc}") from exc
        db.row_factory = aiosqlite.Row
        return cls(db)

    async def close(self) -> None:
        await self._db.close()

    @_serialised
    async def record(self, inv: Invocation, command: str, lane: str = "change") -> int | None:
        """Record a command durably; None when this event was recorded before."""
        lane = _lane(lane)
        try:
            cur = await self._db.execute(
                "INSERT INTO commands (platform, event_id, room, caller_id, caller_label, command,"
                " text, invocation, received_at, lane) VALUES (?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (platform, event_id) DO NOTHING",
                (
                    inv.platform,
                    inv.event_id,
                    inv.room.id,
                    inv.caller.id,
                    inv.caller.label,
                    command,
                    inv.text,
                    json.dumps(inv.to_json()),
                    inv.received_at.isoformat(timespec="milliseconds"),
                    lane,
                ),
            )
        except Exception as exc:
            raise StoreError(f"could not record the command: {exc}") from exc
        return cur.lastrowid if cur.rowcount == 1 else None

    @_serialised
    async def claim(
        self, platform: str, room: str, owner: str, lease_s: float, lane: str = "change"
    ) -> Job | None:
        """Take the oldest runnable job of a lane in a room: queued and due, or running with an
        expired lease. A 'change' job is not taken while another instance holds a live lease on
        a 'change' job of the same room: a room runs one change at a time."""
        now = time.time()
        async with self._db.execute(
            "UPDATE commands SET state='running', claimed_by=?, lease_until=? WHERE id = ("
            " SELECT id FROM commands WHERE platform=? AND room=? AND lane=? AND "
            + _RUNNABLE
            + " AND NOT (lane='change' AND EXISTS (SELECT 1 FROM commands o WHERE"
            " o.platform=commands.platform AND o.room=commands.room AND o.lane='change' AND"
            " o.state='running' AND o.lease_until >= ? AND o.claimed_by <> ?))"
            " ORDER BY id LIMIT 1) RETURNING id, command, invocation",
            (owner, now + lease_s, platform, room, _lane(lane), now, now, now, owner),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return Job(row["id"], row["command"], Invocation.from_json(json.loads(row["invocation"])))

    @_serialised
    async def runnable_rooms(self) -> list[tuple[str, str, str]]:
        """(platform, room, lane) of every room with a job that could be claimed now."""
        now = time.time()
        async with self._db.execute(
            "SELECT DISTINCT platform, room, lane FROM commands WHERE " + _RUNNABLE,
            (now, now),
        ) as cur:
            return [(r["platform"], r["room"], r["lane"]) for r in await cur.fetchall()]

    @_serialised
    async def defer(self, job_id: int, not_before: float) -> None:
        """Queue a job again, not to be claimed before ``not_before`` (epoch seconds)."""
        await self._db.execute(
            "UPDATE commands SET state='queued', claimed_by=NULL, lease_until=NULL, not_before=?"
            " WHERE id=? AND state <> 'done'",
            (not_before, job_id),
        )

    @_serialised
    async def next_due(self) -> float | None:
        """The earliest future ``not_before`` of a queued job (epoch seconds), if any."""
        async with self._db.execute(
            "SELECT min(not_before) FROM commands WHERE state='queued' AND not_before > ?",
            (time.time(),),
        ) as cur:
            row = await cur.fetchone()
        return float(row[0]) if row is not None and row[0] is not None else None

    @_serialised
    async def note_total(self, job_id: int, total: int) -> None:
        await self._db.execute("UPDATE commands SET total=? WHERE id=?", (total, job_id))

    @_serialised
    async def request_cancel(self, case: int, by_case: int, reply: str) -> str:
        """Cancel a case on behalf of ``by_case``: "cancelled" (it had not started, or waited
        for a confirmation: it is now finished, outcome "cancelled", in the audit chain),
        "stopping" (it is running: its worker stops after the current target), "finished"
        (already done, nothing changed) or "unknown" (no such case)."""
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            async with self._db.execute("SELECT state FROM commands WHERE id=?", (case,)) as cur:
                row = await cur.fetchone()
            if row is None:
                answer = "unknown"
            elif row["state"] == "done":
                answer = "finished"
            else:
                await self._db.execute(
                    "UPDATE commands SET cancel_requested_by=? WHERE id=?", (by_case, case)
                )
                if row["state"] == "running":
                    answer = "stopping"
                else:
                    await self._finish_in_transaction(case, "cancelled", reply)
                    answer = "cancelled"
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        return answer

    @_serialised
    async def cancel_requested(self, case: int) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM commands WHERE id=? AND cancel_requested_by IS NOT NULL", (case,)
        ) as cur:
            return await cur.fetchone() is not None

    @_serialised
    async def open_jobs(self, platform: str, room: str) -> list[OpenJob]:
        """The room's unfinished cases, oldest first."""
        now = time.time()
        async with self._db.execute(
            "SELECT c.id, c.command, c.caller_id, c.caller_label, c.state, c.not_before,"
            " c.total, c.received_at, c.cancel_requested_by, (SELECT count(*) FROM results r"
            " WHERE r.command_id = c.id AND r.status NOT IN ('started', 'planned')) AS settled"
            " FROM commands c WHERE c.platform=? AND c.room=? AND c.state <> 'done'"
            " ORDER BY c.id",
            (platform, room),
        ) as cur:
            rows = await cur.fetchall()
        return [
            OpenJob(
                case=r["id"],
                command=r["command"],
                caller=UserRef(r["caller_id"], r["caller_label"]),
                state=(
                    "scheduled"
                    if r["state"] == "queued"
                    and r["not_before"] is not None
                    and r["not_before"] > now
                    else r["state"]
                ),
                not_before=r["not_before"],
                total=r["total"],
                settled=r["settled"],
                received_at=r["received_at"],
                cancel_requested=r["cancel_requested_by"] is not None,
            )
            for r in rows
        ]

    @_serialised
    async def renew(self, job_id: int, lease_s: float) -> None:
        await self._db.execute(
            "UPDATE commands SET lease_until=? WHERE id=?", (time.time() + lease_s, job_id)
        )

    @_serialised
    async def note_reason(self, job_id: int, reason: str | None) -> None:
        await self._db.execute("UPDATE commands SET reason=? WHERE id=?", (reason, job_id))

    @_serialised
    async def undoable(self, case: int) -> list[tuple[UserRef, dict[str, Any]]]:
        """The changes a case made that can be reversed, in order."""
        async with self._db.execute(
            "SELECT target_id, target_label, undo FROM results WHERE command_id=? AND"
            " status='done' AND undo IS NOT NULL ORDER BY id",
            (case,),
        ) as cur:
            return [
                (UserRef(r["target_id"], r["target_label"]), json.loads(r["undo"]))
                for r in await cur.fetchall()
            ]

    @_serialised
    async def undone_by(self, case: int) -> int | None:
        async with self._db.execute(
            "SELECT id FROM commands WHERE undoes=? AND outcome='report' ORDER BY id LIMIT 1",
            (case,),
        ) as cur:
            row = await cur.fetchone()
        return int(row["id"]) if row else None

    async def last_case(
        self, platform: str, room: str, caller_id: str, commands: Sequence[str]
    ) -> int | None:
        marks = ",".join("?" for _ in commands)
        async with self._db.execute(
            f"SELECT id FROM commands WHERE platform=? AND room=? AND caller_id=? AND"
            f" command IN ({marks}) AND outcome='report' ORDER BY id DESC LIMIT 1",
            (platform, room, caller_id, *commands),
        ) as cur:
            row = await cur.fetchone()
        return int(row["id"]) if row else None

    @_serialised
    async def mark_undoes(self, case: int, undone: int) -> None:
        await self._db.execute("UPDATE commands SET undoes=? WHERE id=?", (undone, case))

    @_serialised
    async def await_confirmation(
        self, job_id: int, targets: int, estimate_s: float, within_s: float
    ) -> None:
        """Park a claimed case until its caller confirms it (see ``confirm``)."""
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            await self._db.execute(
                "INSERT INTO confirmations (case_id, targets, estimate_seconds, expires_at)"
                " VALUES (?,?,?,?) ON CONFLICT (case_id) DO UPDATE SET targets=excluded.targets,"
                " estimate_seconds=excluded.estimate_seconds, expires_at=excluded.expires_at",
                (job_id, targets, estimate_s, time.time() + within_s),
            )
            await self._db.execute(
                "UPDATE commands SET state='awaiting', claimed_by=NULL, lease_until=NULL"
                " WHERE id=?",
                (job_id,),
            )
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise

    @_serialised
    async def pending_confirmation(self, case: int) -> PendingConfirmation | None:
        async with self._db.execute(
            "SELECT c.id, c.platform, c.room, c.caller_id, c.caller_label, c.command, c.state,"
            " f.targets, f.estimate_seconds, f.expires_at, f.confirmed_by FROM commands c"
            " JOIN confirmations f ON f.case_id = c.id WHERE c.id=?",
            (case,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return PendingConfirmation(
            case=row["id"],
            platform=row["platform"],
            room=row["room"],
            caller=UserRef(row["caller_id"], row["caller_label"]),
            command=row["command"],
            targets=row["targets"],
            estimate_seconds=row["estimate_seconds"],
            expires_at=row["expires_at"],
            confirmed_by=row["confirmed_by"],
            state=row["state"],
        )

    @_serialised
    async def confirm(self, case: int, by_case: int) -> bool:
        """Queue an awaiting case again, marked confirmed, if it has not expired."""
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            cur = await self._db.execute(
                "UPDATE confirmations SET confirmed_by=?, confirmed_at=? WHERE case_id=? AND"
                " confirmed_by IS NULL AND expires_at > ? AND EXISTS (SELECT 1 FROM commands"
                " WHERE id=? AND state='awaiting')",
                (by_case, _now(), case, time.time(), case),
            )
            if cur.rowcount == 1:
                await self._db.execute("UPDATE commands SET state='queued' WHERE id=?", (case,))
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise
        return cur.rowcount == 1

    @_serialised
    async def is_confirmed(self, case: int) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM confirmations WHERE case_id=? AND confirmed_by IS NOT NULL", (case,)
        ) as cur:
            return await cur.fetchone() is not None

    @_serialised
    async def expire_confirmations(self, reply: str) -> list[int]:
        """Close every case whose plan was not confirmed in time (outcome "expired")."""
        async with self._db.execute(
            "SELECT c.id FROM commands c JOIN confirmations f ON f.case_id = c.id"
            " WHERE c.state='awaiting' AND f.confirmed_by IS NULL AND f.expires_at <= ?",
            (time.time(),),
        ) as cur:
            expired = [int(r["id"]) for r in await cur.fetchall()]
        for case in expired:
            await self._finish(case, "expired", reply)
        return expired

    @_serialised
    async def release(self, job_id: int) -> None:
        await self._db.execute(
            "UPDATE commands SET state='queued', claimed_by=NULL, lease_until=NULL WHERE id=?"
            " AND state='running'",
            (job_id,),
        )

    @_serialised
    async def finish(self, job_id: int, outcome: str, reply: str) -> None:
        """Close the case and append it, with its per-target results, to the audit chain."""
        await self._finish(job_id, outcome, reply)

    async def _finish(self, job_id: int, outcome: str, reply: str) -> None:
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            await self._finish_in_transaction(job_id, outcome, reply)
            await self._db.execute("COMMIT")
        except BaseException:
            await self._db.execute("ROLLBACK")
            raise

    async def _finish_in_transaction(self, job_id: int, outcome: str, reply: str) -> None:
        await self._db.execute(
            "UPDATE commands SET state='done', outcome=?, reply=?, finished_at=?,"
            " lease_until=NULL WHERE id=?",
            (outcome, reply, _now(), job_id),
        )
        (row,) = await self._audit(case=job_id)
        case = {
            k: getattr(row, k)
            for k in ("platform", "room", "caller", "caller_id", "command", "text", "reason",
                      "outcome", "received_at", "finished_at")
        }  # fmt: skip
        entries: list[tuple[str, dict[str, Any]]] = [("case", {**case, "reply": reply})]
        entries += [
            ("result", {"command": row.command, "room": row.room, **r}) for r in row.results
        ]
        await audit.append(self._db, job_id, entries)

    @property
    def connection(self) -> aiosqlite.Connection:
        return self._db

    def journal(self, job_id: int) -> CommandJournal:
        return CommandJournal(self._db, self._lock, job_id)

    @_serialised
    async def audit(
        self,
        *,
        room: str | None = None,
        user: str | None = None,
        since: str | None = None,
        case: int | None = None,
        limit: int | None = None,
    ) -> list[AuditRow]:
        return await self._audit(room=room, user=user, since=since, case=case, limit=limit)

    async def _audit(
        self,
        *,
        room: str | None = None,
        user: str | None = None,
        since: str | None = None,
        case: int | None = None,
        limit: int | None = None,
    ) -> list[AuditRow]:
        where: list[str] = []
        args: list[Any] = []
        if case is not None:
            where.append("c.id = ?")
            args.append(case)
        if room:
            where.append("c.room = ?")
            args.append(room)
        if user:
            where.append(
                "(c.caller_id = ? OR lower(c.caller_label) = lower(?) OR EXISTS (SELECT 1 FROM"
                " results r2 WHERE r2.command_id = c.id AND (r2.target_id = ?"
                " OR lower(r2.target_label) = lower(?))))"
            )
            args += [user, user, user, user]
        if since:
            where.append("c.received_at >= ?")
            args.append(since)
        sql = "SELECT * FROM commands c"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        rows = []
        async with self._db.execute(sql, args) as cur:
            commands = await cur.fetchall()
        for c in commands:
            async with self._db.execute(
                "SELECT target_id, target_label, status, line, platform_response, at FROM results"
                " WHERE command_id=? ORDER BY id",
                (c["id"],),
            ) as cur:
                results = [
                    {
                        "target_id": r["target_id"],
                        "target": r["target_label"],
                        "result": r["status"],
                        "detail": plain((from_json(json.loads(r["line"])),)),
                        "platform_response": r["platform_response"],
                        "at": r["at"],
                    }
                    for r in await cur.fetchall()
                ]
            rows.append(
                AuditRow(
                    case=c["id"],
                    received_at=c["received_at"],
                    finished_at=c["finished_at"],
                    platform=c["platform"],
                    room=c["room"],
                    caller=c["caller_label"],
                    caller_id=c["caller_id"],
                    command=c["command"],
                    text=c["text"],
                    reason=c["reason"],
                    state=c["state"],
                    outcome=c["outcome"],
                    results=results,
                )
            )
        return rows


class CommandJournal:
    def __init__(self, db: aiosqlite.Connection, lock: asyncio.Lock, job_id: int):
        self._db = db
        self._lock = lock
        self._job_id = job_id

    @_serialised
    async def previous(self, target: UserRef) -> ItemResult | None:
        async with self._db.execute(
            "SELECT status, line, platform_response, undo FROM results WHERE command_id=? AND"
            " target_id=? AND status NOT IN ('started', 'planned')",
            (self._job_id, target.id),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return ItemResult(
            target,
            Status(row["status"]),
            from_json(json.loads(row["line"])),
            row["platform_response"],
            json.loads(row["undo"]) if row["undo"] else None,
        )

    @_serialised
    async def start(self, target: UserRef) -> None:
        """Note that a state-changing call for ``target`` is about to be made."""
        await self._db.execute(
            "INSERT INTO results (command_id, target_id, target_label, status, line, at)"
            " VALUES (?,?,?,'started','[]',?) ON CONFLICT (command_id, target_id) DO UPDATE"
            " SET status='started', line='[]', at=excluded.at WHERE results.status='planned'",
            (self._job_id, target.id, target.label, _now()),
        )

    @_serialised
    async def started(self, target: UserRef) -> bool:
        """Whether a call for ``target`` was begun by an earlier run whose result is unknown."""
        async with self._db.execute(
            "SELECT 1 FROM results WHERE command_id=? AND target_id=? AND status='started'",
            (self._job_id, target.id),
        ) as cur:
            return await cur.fetchone() is not None

    @_serialised
    async def record(self, item: ItemResult) -> None:
        await self._db.execute(
            "INSERT INTO results (command_id, target_id, target_label, status, line,"
            " platform_response, undo, at) VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT (command_id, target_id) DO UPDATE SET status=excluded.status,"
            " line=excluded.line, platform_response=excluded.platform_response,"
            " undo=excluded.undo, at=excluded.at"
            " WHERE results.status IN ('started', 'planned')",
            (
                self._job_id,
                item.target.id,
                item.target.label,
                item.status.value,
                json.dumps(to_json(item.line)),
                item.platform_response,
                json.dumps(dict(item.undo)) if item.undo is not None else None,
                _now(),
            ),
        )

    async def record_all(self, items: Sequence[ItemResult]) -> None:
        for item in items:
            await self.record(item)
