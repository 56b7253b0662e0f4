"""Plans awaiting ``/confirm``: a case parked until its caller confirms it, queued again when
they do, closed as expired when they do not in time."""

from __future__ import annotations

import json
import time

from bot import audit
from bot.model import Invocation, UserRef
from bot.outcome import OutcomeKind
from bot.store.cases import close_case
from bot.store.connection import Connection, for_update
from bot.store.journal import now_iso
from bot.store.part import StorePart
from bot.store.records import JobState, PendingConfirmation


class Confirmations(StorePart):
    """Plans parked for ``/confirm``."""

    async def await_confirmation(
        self, job_id: int, targets: int, estimate_s: float, within_s: float
    ) -> None:
        """Park a claimed case until its caller confirms it (see ``confirm``)."""
        await self._written(job_id)

        plan = {
            "case": job_id,
            "targets": targets,
            "estimate": estimate_s,
            "expires": time.time() + within_s,
        }

        def park(conn: Connection) -> None:
            conn.execute(
                "INSERT INTO confirmations (case_id, targets, estimate_seconds, expires_at)"
                " VALUES (:case, :targets, :estimate, :expires)"
                " ON CONFLICT (case_id) DO UPDATE SET targets = excluded.targets,"
                " estimate_seconds = excluded.estimate_seconds, expires_at = excluded.expires_at",
                plan,
            )
            conn.execute(
                "UPDATE commands SET state = 'awaiting', claimed_by = NULL, lease_until = NULL"
                " WHERE id = :case",
                plan,
            )

        await self._db.run(park, atomic=True)

    async def pending_confirmation(self, case: int) -> PendingConfirmation | None:
        def read(conn: Connection) -> PendingConfirmation | None:
            row = conn.row(
                "SELECT c.id, c.platform, c.room, c.caller_id, c.caller_label, c.command, c.state,"
                " c.invocation, p.targets, p.estimate_seconds, p.expires_at, p.confirmed_by"
                " FROM commands c JOIN confirmations p ON p.case_id = c.id WHERE c.id = :case",
                {"case": case},
            )
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
                state=JobState(row["state"]),
                confirmers=Invocation.from_json(json.loads(row["invocation"])).confirm_by,
            )

        return await self._db.run(read)

    async def confirm(self, case: int, by_case: int) -> bool:
        """Queue an awaiting case again, marked confirmed, if it has not expired."""

        def release(conn: Connection) -> bool:
            given = {"case": case, "by": by_case, "now": time.time(), "at": now_iso()}
            queued = conn.execute(
                "UPDATE commands SET state = 'queued' WHERE id = :case AND state = 'awaiting'"
                " AND EXISTS (SELECT 1 FROM confirmations WHERE case_id = :case"
                " AND confirmed_by IS NULL AND expires_at > :now)",
                given,
            )
            if queued != 1:
                return False
            conn.execute(
                "UPDATE confirmations SET confirmed_by = :by, confirmed_at = :at"
                " WHERE case_id = :case",
                given,
            )
            return True

        return await self._db.run(release, atomic=True)

    async def is_confirmed(self, case: int) -> bool:
        sql = "SELECT confirmed_by FROM confirmations WHERE case_id = :case"
        return await self._value(sql, {"case": case}) is not None

    async def expire_confirmations(self, reply: str) -> list[int]:
        """Close every case whose plan was not confirmed in time (outcome "expired")."""

        appended: list[audit.Record] = []

        def expire(conn: Connection) -> list[int]:
            del appended[:]
            expired = conn.values(
                "SELECT c.id FROM commands c JOIN confirmations p ON p.case_id = c.id"
                " WHERE c.state = 'awaiting' AND p.confirmed_by IS NULL AND p.expires_at <= :now"
                f" ORDER BY c.id{for_update(conn, 'c', skip_locked=True)}",
                {"now": time.time()},
            )
            for case_id in expired:
                appended.extend(close_case(conn, case_id, OutcomeKind.EXPIRED, reply, self._chain))
            return expired

        expired = await self._db.run(expire, atomic=True)
        self._chain.published(appended)
        return expired
