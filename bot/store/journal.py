"""The per-target journal of one command: a call is noted before it is made, its result after,
so a second run (after a crash or a lease expiry) skips what is settled and checks what was in
flight."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from bot.model import UserRef
from bot.outcome import ItemResult, Status
from bot.reply import from_json, to_json
from bot.store.database import Connection, Database
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


class CommandJournal:
    def __init__(
        self,
        db: Database,
        job_id: int,
        settled: Mapping[str, SettledRow] | None = None,
        writes: dict[int, asyncio.Task[None]] | None = None,
    ):
        self._db = db
        self._job_id = job_id
        self._writes = writes if writes is not None else {}
        """A result being written, by case: shared with the store, which waits for it before
        it closes, releases or reads the case (see ``record``)."""
        self._settled = dict(settled) if settled is not None else None
        """Final results by target id, when read with the claim (this run holds the lease,
        so only it adds to them); None: ask the store."""

    async def written(self) -> None:
        """Wait for the result being written, if any (its failure is raised here)."""
        writing = self._writes.pop(self._job_id, None)
        if writing is not None:
            await writing

    async def previous(self, target: UserRef) -> ItemResult | None:
        await self.written()
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
                json.loads(undo) if undo else None,
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
                json.loads(row["undo"]) if row["undo"] else None,
            )

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

        await self.written()
        await self._db.run(write)

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
        undo = json.dumps(dict(item.undo)) if item.undo is not None else None
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

        def write(conn: Connection) -> None:
            conn.execute(SETTLING, row)

        # Written while the command goes on (usually: while its reply is posted), not waited
        # for here. A crash before it lands leaves the target as a crash just before the
        # result would have: its call (if any) journalled as started, checked by the next run.
        # The next use of this journal waits for it, as the store does before it closes,
        # releases or reads the case.
        await self.written()
        self._writes[self._job_id] = asyncio.create_task(self._db.run(write))
        if self._settled is not None and item.status.value not in UNSETTLED:
            settled = (item.status.value, line, item.platform_response, undo)
            self._settled.setdefault(item.target.id, settled)

    async def record_all(self, items: Sequence[ItemResult]) -> None:
        for item in items:
            await self.record(item)
