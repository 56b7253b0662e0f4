"""What ``/undo`` reads and claims: a case's reversible changes, the caller's last case that
has some left, and the claims that make each change reversed by one undo only."""

from __future__ import annotations

from collections.abc import Sequence

from bot.model import UserRef
from bot.outcome import OutcomeKind
from bot.store.connection import Connection, in_list
from bot.store.journal import after_results, now_iso
from bot.store.part import StorePart
from bot.undo_steps import StoredStep, Unreadable, loads


class UndoClaims(StorePart):
    """What ``/undo`` reads of a case, and its claims on the changes to reverse."""

    async def mark_undoes(self, case: int, undone: int) -> None:
        await self._update(case, undoes=undone)

    async def undoes(self, case: int) -> int | None:
        """The case the undo ``case`` reverses, if a run of it chose one (``mark_undoes``)."""
        found = await self._value("SELECT undoes FROM commands WHERE id = :case", {"case": case})
        return None if found is None else int(found)

    async def undoable(self, case: int) -> list[tuple[UserRef, StoredStep]]:
        """The changes a case made that can be reversed, in order."""
        await self._written()  # an earlier case's: its failure is its own

        def read(conn: Connection) -> list[tuple[UserRef, StoredStep]]:
            rows = conn.rows(
                "SELECT target_id, target_label, undo FROM results WHERE command_id = :case"
                " AND status = 'done' AND undo IS NOT NULL ORDER BY id",
                {"case": case},
            )
            return [(UserRef(r["target_id"], r["target_label"]), _step(r["undo"])) for r in rows]

        return await self._db.run(read)

    async def last_case(
        self, platform: str, room: str, caller_id: str, names: Sequence[str]
    ) -> int | None:
        listed, named = in_list("name", names)
        return await self._first_case(
            "SELECT id FROM commands WHERE platform = :platform AND room = :room"
            f" AND caller_id = :caller AND command IN {listed} AND outcome = '{OutcomeKind.REPORT}'"
            " ORDER BY id DESC",
            {"platform": platform, "room": room, "caller": caller_id, **named},
        )

    async def last_undoable(
        self, platform: str, room: str, caller_id: str, names: Sequence[str], since: str
    ) -> int | None:
        """The caller's newest case in the room that changed something still to undo: one of
        ``names``, finished at or after ``since`` (ISO time), with a reversible change that no
        undo has claimed."""
        await self._written()  # an earlier case's: its failure is its own
        listed, named = in_list("name", names)
        return await self._first_case(
            "SELECT id FROM commands WHERE platform = :platform AND room = :room"
            f" AND caller_id = :caller AND command IN {listed} AND outcome = '{OutcomeKind.REPORT}'"
            " AND finished_at >= :since AND EXISTS (SELECT 1 FROM results"
            " WHERE results.command_id = commands.id AND results.status = 'done'"
            " AND results.undo IS NOT NULL AND NOT EXISTS (SELECT 1 FROM undo_claims"
            " WHERE undo_claims.case_id = results.command_id"
            " AND undo_claims.target_id = results.target_id))"
            " ORDER BY id DESC",
            {"platform": platform, "room": room, "caller": caller_id, "since": since, **named},
        )

    async def undo_claims(self, case: int) -> dict[str, int]:
        """Target id (as in the case's results) -> the case of the /undo that claimed it."""

        def read(conn: Connection) -> dict[str, int]:
            rows = conn.rows(
                "SELECT target_id, by_case FROM undo_claims WHERE case_id = :case", {"case": case}
            )
            return {r["target_id"]: int(r["by_case"]) for r in rows}

        return await self._db.run(read)

    async def claim_undo(
        self, case: int, by_case: int, target_ids: Sequence[str]
    ) -> dict[str, int]:
        """Claim the changes of ``case`` made for ``target_ids`` for the undo ``by_case``, in one
        transaction: a change already claimed keeps its claim (the primary key decides between
        undos running at once, in this process or another). Returns who holds each: the
        changes whose holder is ``by_case`` are this undo's to reverse."""

        def write(conn: Connection) -> dict[str, int]:
            at = now_iso()
            # In one order for every claimer: on PostgreSQL two undos inserting the same rows
            # in different orders would wait for each other (a deadlock).
            for target_id in sorted(set(target_ids)):
                conn.execute(
                    "INSERT INTO undo_claims (case_id, target_id, by_case, at)"
                    " VALUES (:case, :target, :by, :at)"
                    " ON CONFLICT (case_id, target_id) DO NOTHING",
                    {"case": case, "target": target_id, "by": by_case, "at": at},
                )
            rows = conn.rows(
                "SELECT target_id, by_case FROM undo_claims WHERE case_id = :case", {"case": case}
            )
            wanted = set(target_ids)
            return {r["target_id"]: int(r["by_case"]) for r in rows if r["target_id"] in wanted}

        return await self._db.run(write, atomic=True)

    async def release_undo(self, case: int, by_case: int, target_ids: Sequence[str]) -> None:
        """Give up the claims of the undo ``by_case`` on changes of ``case`` it failed to
        reverse, the change known not to be in place: a later undo may try them again. The
        undo's results still pending (its failed ones) are written in the same transaction, so
        a claim is never given up without the failure that frees it on record. Claims of other
        undos are left as they are."""
        rows = self._pending.take(by_case)
        ids = sorted(set(target_ids))

        def release(conn: Connection) -> None:
            for target_id in ids:
                conn.execute(
                    "DELETE FROM undo_claims WHERE case_id = :case AND target_id = :target"
                    " AND by_case = :by",
                    {"case": case, "target": target_id, "by": by_case},
                )

        try:
            await self._db.run(after_results(rows, release), atomic=True)
        except BaseException:
            self._pending.put_back(by_case, rows)  # for the case's next write
            raise


def _step(text: str) -> StoredStep:
    """A stored undo step (the column is not empty here: ``undo IS NOT NULL``)."""
    step = loads(text)
    return Unreadable(text) if step is None else step
