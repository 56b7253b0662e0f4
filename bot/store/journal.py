"""The per-target journal of one command: a call is noted before it is made, its result after,
so a second run (after a crash or a lease expiry) skips what is settled and checks what was in
flight."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot import undo_steps
from bot.model import UserRef
from bot.outcome import ItemResult, Status
from bot.reply import from_json, to_json
from bot.store.connection import Connection
from bot.store.database import Database
from bot.store.records import SettledRow

UNSETTLED = ("started", "planned")
"""Result rows that are not a final result: a call in flight, or a planned change."""
UNSETTLED_SQL = "(" + ", ".join(f"'{status}'" for status in UNSETTLED) + ")"

_COLUMNS = "command_id, target_id, target_label, status, line, platform_response, undo, at"
_VALUES = ":command_id, :target_id, :target_label, :status, :line, :platform_response, :undo, :at"
STARTING = f"""
INSERT INTO results ({_COLUMNS}) VALUES ({_VALUES})
ON CONFLICT (command_id, target_id) DO UPDATE
SET status = 'started', line = '[]', at = excluded.at
WHERE results.status = 'planned'"""
"""INSERT a 'started' row, or turn a 'planned' one into it."""
SETTLING = f"""
INSERT INTO results ({_COLUMNS}) VALUES ({_VALUES})
ON CONFLICT (command_id, target_id) DO UPDATE
SET status = excluded.status, line = excluded.line,
    platform_response = excluded.platform_response, undo = excluded.undo, at = excluded.at
WHERE results.status IN {UNSETTLED_SQL}"""
"""INSERT a final result, or write it over a 'started' or 'planned' row."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


Row = dict[str, Any]
T = TypeVar("T")


class PendingResults:
    """Results recorded but not yet written, by case. Each goes to the store with its case's
    next write (the next target's start, or the case's close or release), in the same
    transaction: a result costs no commit of its own, and is never being written while the
    command's reply is sent. Until then the target's "started" row stands for it, so a crash
    meanwhile is the same as a crash just before the result: the next run checks the target.
    """

    def __init__(self) -> None:
        self._rows: dict[int, list[Row]] = {}

    def add(self, case: int, row: Row) -> None:
        self._rows.setdefault(case, []).append(row)

    def put_back(self, case: int, rows: Sequence[Row]) -> None:
        """Rows taken for a write that failed: pending again, ahead of any added since."""
        if rows:
            self._rows[case] = [*rows, *self._rows.get(case, [])]

    def take(self, case: int | None = None) -> list[Row]:
        """The rows of one case (None: of every case), no longer pending."""
        if case is not None:
            return self._rows.pop(case, [])
        rows = [row for pending in self._rows.values() for row in pending]
        self._rows.clear()
        return rows


def after_results(
    rows: Sequence[Row], work: Callable[[Connection], T]
) -> Callable[[Connection], T]:
    """``work`` preceded by writing ``rows`` (run it atomically when there are any)."""

    def both(conn: Connection) -> T:
        if rows:
            conn.execute_many(SETTLING, rows)
        return work(conn)

    return both


async def write_results(db: Database, rows: Sequence[Row]) -> None:
    if rows:
        await db.run(after_results(rows, lambda conn: None), atomic=True)


class CommandJournal:
    def __init__(
        self,
        db: Database,
        job_id: int,
        settled: Mapping[str, SettledRow] | None = None,
        pending: PendingResults | None = None,
    ):
        self._db = db
        self._job_id = job_id
        self._pending = pending if pending is not None else PendingResults()
        """Results not yet written: shared with the store, which writes a case's before it
        closes, releases or reads it."""
        self._settled = dict(settled) if settled is not None else None
        """Final results by target id, when read with the claim (this run holds the lease,
        so only it adds to them); None: ask the store."""

    async def written(self) -> None:
        """Write the results still pending (a failure is raised here, and they stay pending
        for the case's next write)."""
        rows = self._pending.take(self._job_id)
        try:
            await write_results(self._db, rows)
        except BaseException:
            self._pending.put_back(self._job_id, rows)
            raise

    async def previous(self, target: UserRef) -> ItemResult | None:
        if self._settled is not None:
            found = self._settled.get(target.id)
            if found is None:
                return None
            status, line, response, undo = found
            return ItemResult(
                target,
                Status(status),
                from_json(json.loads(line)),
                response,
                undo_steps.loads(undo),
            )

        def read(conn: Connection) -> ItemResult | None:
            row = conn.row(
                "SELECT status, line, platform_response, undo FROM results"
                " WHERE command_id = :case AND target_id = :target"
                f" AND status NOT IN {UNSETTLED_SQL}",
                {"case": self._job_id, "target": target.id},
            )
            if row is None:
                return None
            return ItemResult(
                target,
                Status(row["status"]),
                from_json(json.loads(row["line"])),
                row["platform_response"],
                undo_steps.loads(row["undo"]),
            )

        await self.written()
        return await self._db.run(read)

    async def start(self, target: UserRef) -> None:
        """Note that a state-changing call for ``target`` is about to be made."""
        row = {
            "command_id": self._job_id,
            "target_id": target.id,
            "target_label": target.label,
            "status": "started",
            "line": "[]",
            "platform_response": None,
            "undo": None,
            "at": now_iso(),
        }

        def write(conn: Connection) -> None:
            conn.execute(STARTING, row)

        # The results still pending go in the same transaction: one commit for both.
        results = self._pending.take(self._job_id)
        try:
            await self._db.run(after_results(results, write), atomic=bool(results))
        except BaseException:
            self._pending.put_back(self._job_id, results)  # for the case's next write
            raise

    async def started(self, target: UserRef) -> bool:
        """Whether a call for ``target`` was begun by an earlier run whose result is unknown."""

        await self.written()

        def read(conn: Connection) -> bool:
            found = conn.value(
                "SELECT id FROM results WHERE command_id = :case AND target_id = :target"
                " AND status = 'started'",
                {"case": self._job_id, "target": target.id},
            )
            return found is not None

        return await self._db.run(read)

    async def record(self, item: ItemResult) -> None:
        line = json.dumps(to_json(item.line))
        undo = undo_steps.dumps(item.undo)
        row = {
            "command_id": self._job_id,
            "target_id": item.target.id,
            "target_label": item.target.label,
            "status": item.status.value,
            "line": line,
            "platform_response": item.platform_response,
            "undo": undo,
            "at": now_iso(),
        }

        # Written with the case's next write (see PendingResults), not here.
        self._pending.add(self._job_id, row)
        if self._settled is not None and item.status.value not in UNSETTLED:
            settled = (item.status.value, line, item.platform_response, undo)
            self._settled.setdefault(item.target.id, settled)

    async def record_all(self, items: Sequence[ItemResult]) -> None:
        for item in items:
            await self.record(item)
