"""The durable store: commands (jobs), per-target results, and the audit trail they form.

One SQL for SQLite (embedded, the default) and PostgreSQL (several instances sharing one
database): each method is one unit of work run by ``Database.run``.
A command is recorded once per (platform, event id): a redelivered event finds its row and does
nothing. Jobs are claimed with a lease, renewed while they run, so a job whose instance died is
picked up again once the lease runs out, and the per-target results let that second run skip
what the first already did. On PostgreSQL a claim locks the job's row (``FOR UPDATE SKIP
LOCKED``) and the room (an advisory lock), so no two instances ever run one job, nor two change
jobs of one room.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from bot import audit
from bot.errors import StoreError
from bot.model import Invocation, UserRef
from bot.outcome import OutcomeKind
from bot.reply import from_json, plain
from bot.store.database import (
    Connection,
    Database,
    Row,
    advisory_lock,
    for_update,
    in_list,
    mask_secrets,
    parse_url,
    storable,
)
from bot.store.journal import (
    UNSETTLED_SQL,
    CommandJournal,
    PendingResults,
    after_results,
    now_iso,
    write_results,
)
from bot.store.migrate import upgrade_database
from bot.store.positions import StoredReadPositions
from bot.store.records import AuditRow, Job, JobState, OpenJob, PendingConfirmation, SettledRow
from bot.undo_steps import StoredStep, Unreadable, loads

T = TypeVar("T")

LANES = ("change", "control", "cli")
"""'change' jobs act on a room, one at a time per room across instances; 'control' jobs
(listing, cancelling) never wait behind them; 'cli' jobs belong to a command-line run
(``kickbot offboard``) and are never taken by a bot."""

_IN_CHUNK = 500
"""Ids per ``IN (…)`` when reading results of many cases."""

_COMMAND_COLUMNS = (
    "id, platform, event_id, room, caller_id, caller_label, command, text, reason, undoes,"
    " invocation, state, outcome, reply, claimed_by, lease_until, received_at, finished_at,"
    " lane, not_before, cancel_requested_by, total"
)
_UPDATABLE = frozenset(_COMMAND_COLUMNS.replace(" ", "").split(",")) - {"id"}
RUNNABLE = (
    "((state = 'queued' AND (not_before IS NULL OR not_before <= :now))"
    " OR (state = 'running' AND lease_until < :now))"
)
"""A job that could be claimed now: queued and due, or running with an expired lease."""

RECORDING = """
INSERT INTO commands (platform, event_id, room, caller_id, caller_label, command, text,
                      invocation, received_at, lane)
VALUES (:platform, :event_id, :room, :caller_id, :caller_label, :command, :text,
        :invocation, :received_at, :lane)
ON CONFLICT (platform, event_id) DO NOTHING
RETURNING id"""
"""INSERT a command unless its event was recorded before; RETURNING its id."""

SETTLED = (
    "SELECT target_id, status, line, platform_response, undo FROM results"
    f" WHERE command_id = :case AND status NOT IN {UNSETTLED_SQL}"
)


def _lane(lane: str) -> str:
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")
    return lane


@functools.cache
def _claiming(lane: str, postgres: bool) -> str:
    """Claim the oldest runnable job of ``lane`` in a room (parameters: platform, room, owner,
    now, until). A 'change' job is not taken while another instance holds a live lease on a
    'change' job of the same room."""
    busy = (
        " AND NOT EXISTS (SELECT 1 FROM commands other"
        " WHERE other.platform = commands.platform AND other.room = commands.room"
        " AND other.lane = 'change' AND other.state = 'running'"
        " AND other.lease_until >= :now AND other.claimed_by != :owner)"
        if lane == "change"
        else ""
    )
    locking = " FOR UPDATE SKIP LOCKED" if postgres else ""
    return f"""
UPDATE commands SET state = 'running', claimed_by = :owner, lease_until = :until
WHERE id = (
    SELECT id FROM commands
    WHERE platform = :platform AND room = :room AND lane = '{lane}' AND {RUNNABLE}{busy}
    ORDER BY id LIMIT 1{locking}
)
RETURNING id, command, invocation"""


class Store:
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

    @classmethod
    async def open(
        cls, url: str, chain: audit.Chain | None = None, *, create: bool = True
    ) -> Store:
        """Connect and bring the schema to the newest revision. With ``chain`` (a writer: the
        bot, ``kickbot offboard``), check its audit key and head file against the chain first
        (see ``audit.Chain.start``). With ``create=False`` (a reader), a store that does not
        exist yet is an error rather than made."""
        if not create:
            await _must_exist(url)
        try:
            db = Database.connect(url)
        except OSError as exc:  # the SQLite file's directory cannot be made
            raise StoreError(_cannot_open(mask_secrets(url), exc)) from exc
        try:
            await upgrade_database(db)
        except Exception as exc:  # the driver's errors, SQLAlchemy's (migrating), OSError
            await db.close()
            raise StoreError(_cannot_open(db.url.shown, exc)) from exc
        store = cls(db, chain)
        if chain is not None:
            try:
                await store._start_chain()
            except BaseException:
                await db.close()
                raise
        return store

    async def _start_chain(self) -> None:
        chain = self._chain

        def start(conn: Connection) -> tuple[list[audit.Record], audit.Head | None]:
            return chain.start(conn), audit.chain_end(conn)

        records, end = await self._db.run(start, atomic=True)
        chain.started(end)
        chain.published(records)

    async def close(self) -> None:
        await self._written()
        await self._db.close()

    @property
    def database(self) -> Database:
        return self._db

    @property
    def read_positions(self) -> StoredReadPositions:
        """How far platforms that catch up (``KeepsReadPositions``) have read each room."""
        return StoredReadPositions(self._db)

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

    # --- jobs -----------------------------------------------------------------------------

    async def record(self, inv: Invocation, command: str, lane: str = "change") -> int | None:
        """Record a command durably; None when this event was recorded before."""
        row = _command_row(inv, command, _lane(lane))
        return await self._recording(lambda conn: _insert(conn, row), atomic=False)

    def record_and_claim(
        self, inv: Invocation, command: str, lane: str, owner: str, lease_s: float
    ) -> asyncio.Future[tuple[int | None, Job | None]]:
        """Record a command durably and, in the same transaction (one commit, one trip to the
        store's thread), claim the room's next job of its lane as ``claim`` would: usually the
        command just recorded. For an instance with no worker on that lane of the room."""
        row = _command_row(inv, command, _lane(lane))

        def write(conn: Connection) -> tuple[int | None, Job | None]:
            case_id = _insert(conn, row)
            return case_id, _take(conn, inv.platform, inv.room.id, owner, lease_s, lane)

        return self._recording(write, atomic=True)

    def _recording(self, write: Callable[[Connection], T], *, atomic: bool) -> asyncio.Future[T]:
        """The record handed to the store now (records keep their arrival order), as a future
        that lands even if its caller is cancelled; a database failure is a StoreError."""
        failures: tuple[type[Exception], ...] = (*self._db.errors, OSError)
        recorded: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def settle(done: asyncio.Future[T]) -> None:
            if recorded.done():
                return
            if done.cancelled():
                recorded.cancel()
            elif (exc := done.exception()) is None:
                recorded.set_result(done.result())
            elif isinstance(exc, failures):
                error = StoreError(f"could not record the command: {exc}")
                error.__cause__ = exc
                recorded.set_exception(error)
            else:
                recorded.set_exception(exc)

        # Not tried again here: a record that fails is delivered again by the platform.
        self._db.submit(write, atomic=atomic, retry=False).add_done_callback(settle)
        return recorded

    async def claim(
        self, platform: str, room: str, owner: str, lease_s: float, lane: str = "change"
    ) -> Job | None:
        """Take the oldest runnable job of a lane in a room: queued and due, or running with an
        expired lease. A 'change' job is not taken while another instance holds a live lease on
        a 'change' job of the same room: a room runs one change at a time.

        One statement: ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED)`` on PostgreSQL
        (a row another instance is claiming is skipped, never taken twice); on SQLite a single
        statement is atomic by itself."""
        lane = _lane(lane)
        return await self._db.run(lambda conn: _take(conn, platform, room, owner, lease_s, lane))

    async def runnable_rooms(self) -> list[tuple[str, str, str]]:
        """(platform, room, lane) of every room with a job that could be claimed now."""

        def read(conn: Connection) -> list[tuple[str, str, str]]:
            rows = conn.rows(
                f"SELECT DISTINCT platform, room, lane FROM commands WHERE {RUNNABLE}"
                " ORDER BY platform, room, lane",
                {"now": time.time()},
            )
            return [(r["platform"], r["room"], r["lane"]) for r in rows]

        return await self._db.run(read)

    async def renew(self, job_id: int, lease_s: float) -> None:
        await self._update(job_id, lease_until=time.time() + lease_s)

    async def release(self, job_id: int) -> None:
        await self._written(job_id)
        await self._update(
            job_id, state="queued", claimed_by=None, lease_until=None, only="state = 'running'"
        )

    async def defer(self, job_id: int, not_before: float) -> None:
        """Queue a job again, not to be claimed before ``not_before`` (epoch seconds)."""
        await self._written(job_id)
        await self._update(
            job_id,
            state="queued",
            claimed_by=None,
            lease_until=None,
            not_before=not_before,
            only="state != 'done'",
        )

    async def next_due(self) -> float | None:
        """The earliest future ``not_before`` of a queued job (epoch seconds), if any."""

        def read(conn: Connection) -> float | None:
            due = conn.value(
                "SELECT min(not_before) FROM commands WHERE state = 'queued' AND not_before > :now",
                {"now": time.time()},
            )
            return None if due is None else float(due)

        return await self._db.run(read)

    async def note_reason(self, job_id: int, reason: str | None) -> None:
        await self._update(job_id, reason=reason)

    async def note_total(self, job_id: int, total: int) -> None:
        await self._update(job_id, total=total)

    async def mark_undoes(self, case: int, undone: int) -> None:
        await self._update(case, undoes=undone)

    async def _update(self, job_id: int, *, only: str | None = None, **values: Any) -> None:
        """Set columns of one command (if it meets the condition ``only``): one statement."""
        assert set(values) <= _UPDATABLE, set(values) - _UPDATABLE
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        sql = f"UPDATE commands SET {assignments} WHERE id = :case_id"
        if only is not None:
            sql += f" AND {only}"
        params = {**values, "case_id": job_id}

        def write(conn: Connection) -> None:
            conn.execute(sql, params)

        await self._db.run(write)

    async def finish(self, job_id: int, outcome: OutcomeKind, reply: str) -> None:
        """Close the case and append it, with its per-target results, to the audit chain."""
        async with self._reads_writing:  # a read writing this case's results: wait for it
            pass
        results = self._pending.take(job_id)  # in the same transaction: one commit
        chain = self._chain
        close = after_results(results, lambda conn: _finish(conn, job_id, outcome, reply, chain))
        try:
            closed = await self._db.run(close, atomic=True)
        except BaseException:
            self._pending.put_back(job_id, results)  # for the next try to close it
            raise
        chain.published(closed)

    # --- cancelling, listing --------------------------------------------------------------

    async def request_cancel(self, case: int, by_case: int, reply: str) -> str:
        """Cancel a case on behalf of ``by_case``: "cancelled" (it had not started, or waited
        for a confirmation: it is now finished, outcome "cancelled", in the audit chain),
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
            appended[:] = _finish(conn, case, OutcomeKind.CANCELLED, reply, self._chain)
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
        def read(conn: Connection) -> bool:
            by = conn.value(
                "SELECT cancel_requested_by FROM commands WHERE id = :case", {"case": case}
            )
            return by is not None

        return await self._db.run(read)

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

    # --- undo -----------------------------------------------------------------------------

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

    async def _first_case(self, sql: str, params: Mapping[str, Any]) -> int | None:
        def read(conn: Connection) -> int | None:
            found = conn.value(sql + " LIMIT 1", params)
            return None if found is None else int(found)

        return await self._db.run(read)

    # --- confirmations --------------------------------------------------------------------

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
                " p.targets, p.estimate_seconds, p.expires_at, p.confirmed_by"
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
        def read(conn: Connection) -> bool:
            by = conn.value(
                "SELECT confirmed_by FROM confirmations WHERE case_id = :case", {"case": case}
            )
            return by is not None

        return await self._db.run(read)

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
                appended.extend(_finish(conn, case_id, OutcomeKind.EXPIRED, reply, self._chain))
            return expired

        expired = await self._db.run(expire, atomic=True)
        self._chain.published(appended)
        return expired

    # --- reading the record ---------------------------------------------------------------

    async def audit(
        self,
        *,
        room: str | None = None,
        user: str | None = None,
        since: str | None = None,
        case: int | None = None,
        limit: int | None = None,
    ) -> list[AuditRow]:
        await self._written()
        return await self._db.run(
            lambda conn: _audit(conn, room=room, user=user, since=since, case=case, limit=limit)
        )


def _cannot_open(shown: str, exc: BaseException) -> str:
    """Why a store cannot be opened, its URL already masked; the error's own text is masked
    too (a driver may quote its connection string)."""
    return f"cannot open the store at {shown}: {mask_secrets(str(exc))}"


async def _must_exist(url: str) -> None:
    """A StoreError unless ``url`` names a store kickbot has made (nothing is created)."""
    parsed = parse_url(url)
    if parsed.backend == "sqlite":
        if parsed.path == ":memory:" or not os.path.isfile(parsed.path):  # noqa: ASYNC240
            raise StoreError(f"there is no store at {parsed.shown} (no such file)")
        return
    db = Database(parsed)
    try:
        exists = await db.run(lambda conn: conn.value("SELECT to_regclass('commands') IS NOT NULL"))
    except Exception as exc:  # the driver's errors, OSError
        raise StoreError(_cannot_open(parsed.shown, exc)) from exc
    finally:
        await db.close()
    if not exists:
        raise StoreError(f"there is no kickbot store at {parsed.shown} (no commands table)")


def _command_row(inv: Invocation, command: str, lane: str) -> dict[str, Any]:
    return {
        "platform": inv.platform,
        "event_id": inv.event_id,
        "room": inv.room.id,
        "caller_id": inv.caller.id,
        "caller_label": inv.caller.label,
        "command": command,
        "text": inv.text,
        "invocation": json.dumps(inv.to_json()),
        "received_at": inv.received_at.isoformat(timespec="milliseconds"),
        "lane": lane,
    }


def _insert(conn: Connection, row: Mapping[str, Any]) -> int | None:
    """The new command's case id; None when its event was recorded before."""
    case_id = conn.value(RECORDING, row)
    return None if case_id is None else int(case_id)


def _take(
    conn: Connection, platform: str, room: str, owner: str, lease_s: float, lane: str
) -> Job | None:
    """Claim the oldest runnable job of a lane in a room (see ``Store.claim``)."""
    if lane == "change":
        # PostgreSQL: serialise the room's change claims, so that two instances cannot each
        # take one of two queued jobs before either sees the other's running.
        advisory_lock(conn, f"claim\0{platform}\0{room}")
    now = time.time()
    row = conn.row(
        _claiming(lane, conn.is_postgres),
        {"platform": platform, "room": room, "owner": owner, "now": now, "until": now + lease_s},
    )
    if row is None:
        return None
    # In the same hop: what earlier runs settled (usually nothing), so the journal needs no
    # read per target.
    settled: dict[str, SettledRow] = {
        r["target_id"]: (r["status"], r["line"], r["platform_response"], r["undo"])
        for r in conn.rows(SETTLED, {"case": row["id"]})
    }
    invocation = Invocation.from_json(json.loads(row["invocation"]))
    return Job(int(row["id"]), row["command"], invocation, settled)


def _finish(
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
    (row,) = _audit(conn, case=job_id)
    case = {
        k: getattr(row, k)
        for k in ("platform", "room", "caller", "caller_id", "command", "text", "reason",
                  "outcome", "received_at", "finished_at")
    }  # fmt: skip
    entries: list[tuple[str, dict[str, Any]]] = [("case", {**case, "reply": reply})]
    entries += [("result", {"command": row.command, "room": row.room, **r}) for r in row.results]
    return chain.append(conn, job_id, entries)


def _audit(
    conn: Connection,
    *,
    room: str | None = None,
    user: str | None = None,
    since: str | None = None,
    case: int | None = None,
    limit: int | None = None,
) -> list[AuditRow]:
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
    sql = f"SELECT {_COMMAND_COLUMNS} FROM commands"
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


__all__ = ["LANES", "AuditRow", "CommandJournal", "Job", "OpenJob", "PendingConfirmation", "Store"]


def _step(text: str) -> StoredStep:
    """A stored undo step (the column is not empty here: ``undo IS NOT NULL``)."""
    step = loads(text)
    return Unreadable(text) if step is None else step
