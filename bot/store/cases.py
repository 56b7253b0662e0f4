"""Cases: closing one (and appending it to the audit chain), cancelling, listing a room's
open ones, and reading the record back as audit rows."""

from __future__ import annotations

import json
import time
from typing import Any, Unpack

from bot import audit
from bot.model import UserRef
from bot.outcome import OutcomeKind
from bot.reply import from_json, plain
from bot.store.connection import Connection, Row, for_update, in_list
from bot.store.journal import UNSETTLED_SQL, after_results, now_iso
from bot.store.part import COMMAND_COLUMNS, StorePart
from bot.store.records import AuditQuery, AuditRow, JobState, OpenJob
from bot.store.storable import storable

_IN_CHUNK = 500
"""Ids per ``IN (…)`` when reading results of many cases."""


class Cases(StorePart):
    """Closing, cancelling and listing cases; the audit rows."""

    async def finish(self, job_id: int, outcome: OutcomeKind, reply: str) -> None:
        """Close the case and append it, with its per-target results, to the audit chain."""
        async with self._reads_writing:  # a read writing this case's results: wait for it
            pass
        results = self._pending.take(job_id)  # in the same transaction: one commit
        chain = self._chain
        close = after_results(results, lambda conn: close_case(conn, job_id, outcome, reply, chain))
        try:
            closed = await self._db.run(close, atomic=True)
        except BaseException:
            self._pending.put_back(job_id, results)  # for the next try to close it
            raise
        chain.published(closed)

    async def request_cancel(self, case: int, by_case: int, reply: str) -> str:
        """Cancel a case on behalf of ``by_case``: "cancelled" (it had not started, was handed
        back, or waited for a confirmation: it is now finished, outcome "cancelled", in the
        audit chain; an undo's claims on changes it never began are given up with it),
        "stopping" (it is running: its worker stops after the current target), "finished"
        (already done, nothing changed) or "unknown" (no such case)."""

        appended: list[audit.Record] = []

        def cancel(conn: Connection) -> str:
            given = {"case": case, "by": by_case}
            locked = for_update(conn)
            state = conn.value(f"SELECT state FROM commands WHERE id = :case{locked}", given)
            if state is None:
                return "unknown"
            if state == JobState.DONE:
                return "finished"
            conn.execute("UPDATE commands SET cancel_requested_by = :by WHERE id = :case", given)
            if state == JobState.RUNNING:
                return "stopping"
            release_unbegun_undo_claims(conn, case)
            appended[:] = close_case(conn, case, OutcomeKind.CANCELLED, reply, self._chain)
            return "cancelled"

        await self._written()  # another case's: its failure is its own
        answer = await self._db.run(cancel, atomic=True)
        self._chain.published(appended)
        if answer == "stopping":
            self._cancelled_here.add(case)
        return answer

    def cancelled_here(self, case: int) -> bool:
        return case in self._cancelled_here

    async def cancel_requested(self, case: int) -> bool:
        sql = "SELECT cancel_requested_by FROM commands WHERE id = :case"
        return await self._value(sql, {"case": case}) is not None

    async def open_jobs(self, platform: str, room: str) -> list[OpenJob]:
        """The room's unfinished cases, oldest first."""
        sql = (
            "SELECT id, command, caller_id, caller_label, state, not_before, total, received_at,"
            " cancel_requested_by, (SELECT count(*) FROM results WHERE command_id = commands.id"
            f" AND status NOT IN {UNSETTLED_SQL}) AS settled FROM commands"
            " WHERE platform = :platform AND room = :room AND state != 'done' ORDER BY id"
        )

        await self._written()

        def read(conn: Connection) -> list[OpenJob]:
            now = time.time()
            rows = conn.rows(sql, {"platform": platform, "room": room})
            return [
                OpenJob(
                    case=r["id"],
                    command=r["command"],
                    caller=UserRef(r["caller_id"], r["caller_label"]),
                    state=(
                        JobState.SCHEDULED
                        if r["state"] == JobState.QUEUED
                        and r["not_before"] is not None
                        and r["not_before"] > now
                        else JobState(r["state"])
                    ),
                    not_before=r["not_before"],
                    total=r["total"],
                    settled=int(r["settled"]),
                    received_at=r["received_at"],
                    cancel_requested=r["cancel_requested_by"] is not None,
                )
                for r in rows
            ]

        return await self._db.run(read)

    async def audit(self, **query: Unpack[AuditQuery]) -> list[AuditRow]:
        await self._written()
        return await self._db.run(lambda conn: audit_rows(conn, **query))


def release_unbegun_undo_claims(conn: Connection, case: int) -> None:
    """An undo closed before it ran again (handed back by a shutdown, then cancelled): its
    claims on the changes it never began are given up, so a later undo can make them. A change
    with a row in its results (done, failed, or begun with its outcome unknown) keeps its claim.
    Nothing for a case that is not an undo (it holds no claims)."""
    conn.execute(
        "DELETE FROM undo_claims WHERE by_case = :case AND NOT EXISTS (SELECT 1 FROM results"
        " WHERE results.command_id = :case AND results.target_id = undo_claims.target_id)",
        {"case": case},
    )


def close_case(
    conn: Connection, job_id: int, outcome: OutcomeKind, reply: str, chain: audit.Chain
) -> list[audit.Record]:
    """Close a case and append it to the audit chain, inside the caller's atomic unit; the
    records appended (for ``chain.published`` once the unit has committed)."""
    closed = conn.execute(
        "UPDATE commands SET state = 'done', outcome = :outcome, reply = :reply,"
        " finished_at = :at, lease_until = NULL WHERE id = :case AND state != 'done'",
        {"case": job_id, "outcome": outcome, "reply": reply, "at": now_iso()},
    )
    if closed != 1:
        return []  # closed already (another instance's sweep): in the chain once
    (row,) = audit_rows(conn, case=job_id)
    case = {
        k: getattr(row, k)
        for k in ("platform", "room", "caller", "caller_id", "command", "text", "reason",
                  "outcome", "received_at", "finished_at")
    }  # fmt: skip
    entries: list[tuple[str, dict[str, Any]]] = [("case", {**case, "reply": reply})]
    entries += [("result", {"command": row.command, "room": row.room, **r}) for r in row.results]
    return chain.append(conn, job_id, entries)


def audit_rows(
    conn: Connection,
    *,
    room: str | None = None,
    user: str | None = None,
    since: str | None = None,
    case: int | None = None,
    limit: int | None = None,
) -> list[AuditRow]:
    """The cases ``AuditQuery``'s filters choose, with their results, oldest first."""
    where: list[str] = []
    if case is not None:
        where.append("id = :case")
    if room:
        where.append("room = :room")
    if user:
        where.append(
            "(caller_id = :user OR lower(caller_label) = lower(:user) OR EXISTS ("
            "SELECT 1 FROM results target WHERE target.command_id = commands.id"
            " AND (target.target_id = :user OR lower(target.target_label) = lower(:user))))"
        )
    if since:
        where.append("received_at >= :since")
    sql = f"SELECT {COMMAND_COLUMNS} FROM commands"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    found = conn.rows(sql, {"case": case, "room": room, "user": user, "since": since})
    per_case: dict[int, list[dict[str, Any]]] = {c["id"]: [] for c in found}
    ids = list(per_case)
    for start in range(0, len(ids), _IN_CHUNK):
        listed, params = in_list("case", ids[start : start + _IN_CHUNK])
        rows = conn.rows(
            "SELECT command_id, target_id, target_label, status, line, platform_response, at"
            f" FROM results WHERE command_id IN {listed} ORDER BY command_id, id",
            params,
        )
        for r in rows:
            per_case[r["command_id"]].append(_result(r))
    return [
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
            state=JobState(c["state"]),
            outcome=None if c["outcome"] is None else OutcomeKind(c["outcome"]),
            results=per_case[c["id"]],
        )
        for c in found
    ]


def _result(r: Row) -> dict[str, Any]:
    return {
        "target_id": r["target_id"],
        "target": r["target_label"],
        "result": r["status"],
        # the line is stored as JSON (ASCII escapes): shown, it is text like any column's
        "detail": storable(plain((from_json(json.loads(r["line"])),))),
        "platform_response": r["platform_response"],
        "at": r["at"],
    }
