"""What every part of the store shares: the database, the audit chain it appends closed cases
to, and the results recorded but not yet written (``PendingResults``); and one command's
columns, set by any part."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from bot import audit
from bot.store.connection import Connection
from bot.store.database import Database
from bot.store.journal import CommandJournal, PendingResults, write_results
from bot.store.records import SettledRow

COMMAND_COLUMNS = (
    "id, platform, event_id, room, caller_id, caller_label, command, text, reason, undoes,"
    " invocation, state, outcome, reply, claimed_by, lease_until, received_at, finished_at,"
    " lane, not_before, cancel_requested_by, total"
)
UPDATABLE = frozenset(COMMAND_COLUMNS.replace(" ", "").split(",")) - {"id"}


class StorePart:
    """The state the store's parts (``Jobs``, ``Cases``, ``Confirmations``, ``UndoClaims``)
    work on; ``Store`` is all of them over one database."""

    def __init__(self, db: Database, chain: audit.Chain | None = None):
        self._db = db
        self._chain = chain if chain is not None else audit.Chain()
        """How closed cases are appended to the audit chain (key, head sinks)."""
        self._cancelled_here: set[int] = set()
        """Running cases a /cancel through this process asked to stop: seen at once, without
        a query (a /cancel through another instance is found by ``cancel_requested``)."""
        self._pending = PendingResults()
        """Results recorded but not yet written, by case (see ``PendingResults``)."""
        self._reads_writing = asyncio.Lock()
        """Held by a read while it writes other cases' pending results: a case's close waits
        for it, so that the close reads (and appends to the audit chain) what was written."""

    @property
    def database(self) -> Database:
        return self._db

    @property
    def audit_key(self) -> bytes | None:
        """The key this process links audit records with (None: plain SHA-256 links)."""
        return self._chain.key

    def journal(
        self, job_id: int, settled: Mapping[str, SettledRow] | None = None
    ) -> CommandJournal:
        return CommandJournal(self._db, job_id, settled, self._pending)

    async def _written(self, case: int | None = None) -> None:
        """Write the results still pending: of one case (a failure is raised here), or of
        every case, before a read that shows them (a failure is left to each case: its rows
        stay pending, for its own next write)."""
        if case is not None:
            rows = self._pending.take(case)
            try:
                await write_results(self._db, rows)
            except BaseException:
                self._pending.put_back(case, rows)  # for the case's next write
                raise
            return
        async with self._reads_writing:
            rows = self._pending.take()
            try:
                await write_results(self._db, rows)
            except self._db.errors:
                for row in rows:
                    self._pending.add(row["command_id"], row)

    async def _value(self, sql: str, params: Mapping[str, Any]) -> Any:
        """The first column of the query's first row (None: no row, or NULL)."""
        return await self._db.run(lambda conn: conn.value(sql, params))

    async def _first_case(self, sql: str, params: Mapping[str, Any]) -> int | None:
        found = await self._value(sql + " LIMIT 1", params)
        return None if found is None else int(found)

    async def _update(self, job_id: int, *, only: str | None = None, **values: Any) -> None:
        """Set columns of one command (if it meets the condition ``only``): one statement."""
        assert set(values) <= UPDATABLE, set(values) - UPDATABLE
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        sql = f"UPDATE commands SET {assignments} WHERE id = :case_id"
        if only is not None:
            sql += f" AND {only}"
        params = {**values, "case_id": job_id}

        def write(conn: Connection) -> None:
            conn.execute(sql, params)

        await self._db.run(write)
