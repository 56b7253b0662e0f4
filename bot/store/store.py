"""The durable store: commands (jobs), per-target results, and the audit trail they form.

One code for SQLite (embedded, the default) and PostgreSQL (several instances sharing one
database), through SQLAlchemy Core: each method is one unit of work run by ``Database.run``.
A command is recorded once per (platform, event id): a redelivered event finds its row and does
nothing. Jobs are claimed with a lease, renewed while they run, so a job whose instance died is
picked up again once the lease runs out, and the per-target results let that second run skip
what the first already did. On PostgreSQL a claim locks the job's row (``FOR UPDATE SKIP
LOCKED``) and the room (an advisory lock), so no two instances ever run one job, nor two change
jobs of one room.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Row,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot import audit
from bot.errors import StoreError
from bot.model import Invocation, UserRef
from bot.reply import from_json, plain
from bot.store.database import Database, advisory_lock, insert, insert_for
from bot.store.journal import UNSETTLED, CommandJournal, now_iso
from bot.store.migrate import upgrade_database
from bot.store.records import AuditRow, Job, OpenJob, PendingConfirmation, SettledRow
from bot.store.schema import commands, confirmations, results

LANES = ("change", "control", "cli")
"""'change' jobs act on a room, one at a time per room across instances; 'control' jobs
(listing, cancelling) never wait behind them; 'cli' jobs belong to a command-line run
(``kickbot offboard``) and are never taken by a bot."""

_OTHER = commands.alias("other")
_TARGET = results.alias("target")
_IN_CHUNK = 500
"""Ids per ``IN (…)`` when reading results of many cases."""


def _lane(lane: str) -> str:
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}")
    return lane


def _runnable(now: float | ColumnElement[float]) -> ColumnElement[bool]:
    """A job that could be claimed now: queued and due, or running with an expired lease."""
    return or_(
        and_(
            commands.c.state == "queued",
            or_(commands.c.not_before.is_(None), commands.c.not_before <= now),
        ),
        and_(commands.c.state == "running", commands.c.lease_until < now),
    )


@functools.cache
def _recording(dialect: str) -> Any:
    """INSERT a command unless its event was recorded before; RETURNING its id."""
    return (
        insert_for(dialect, commands)
        .on_conflict_do_nothing(index_elements=[commands.c.platform, commands.c.event_id])
        .returning(commands.c.id)
    )


@functools.cache
def _claiming(lane: str) -> Any:
    """Claim the oldest runnable job of ``lane`` in a room (parameters: in_platform, in_room,
    owner, now, until)."""
    now = bindparam("now", type_=Float)
    candidates = select(commands.c.id).where(
        commands.c.platform == bindparam("in_platform"),
        commands.c.room == bindparam("in_room"),
        commands.c.lane == lane,
        _runnable(now),
    )
    if lane == "change":
        candidates = candidates.where(
            ~exists().where(
                _OTHER.c.platform == commands.c.platform,
                _OTHER.c.room == commands.c.room,
                _OTHER.c.lane == "change",
                _OTHER.c.state == "running",
                _OTHER.c.lease_until >= now,
                _OTHER.c.claimed_by != bindparam("owner"),
            )
        )
    oldest = (
        candidates.correlate(None)  # its own FROM commands, not the UPDATE's row
        .order_by(commands.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(commands)
        .where(commands.c.id == oldest)
        .values(state="running", claimed_by=bindparam("owner"), lease_until=bindparam("until"))
        .returning(commands.c.id, commands.c.command, commands.c.invocation)
    )


class Store:
    def __init__(self, db: Database):
        self._db = db
        self._cancelled_here: set[int] = set()
        """Running cases a /cancel through this process asked to stop: seen at once, without
        a query (a /cancel through another instance is found by ``cancel_requested``)."""

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect and bring the schema to the newest revision."""
        try:
            db = Database.connect(url)
        except OSError as exc:  # the SQLite file's directory cannot be made
            raise StoreError(f"cannot open the store at {url}: {exc}") from exc
        try:
            await upgrade_database(db)
        except (SQLAlchemyError, OSError) as exc:
            await db.close()
            shown = db.url.render_as_string(hide_password=True)
            raise StoreError(f"cannot open the store at {shown}: {exc}") from exc
        return cls(db)

    async def close(self) -> None:
        await self._db.close()

    @property
    def database(self) -> Database:
        return self._db

    def journal(
        self, job_id: int, settled: Mapping[str, SettledRow] | None = None
    ) -> CommandJournal:
        return CommandJournal(self._db, job_id, settled)

    # --- jobs -----------------------------------------------------------------------------

    async def record(self, inv: Invocation, command: str, lane: str = "change") -> int | None:
        """Record a command durably; None when this event was recorded before."""
        lane = _lane(lane)

        row = {
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

        def write(conn: Connection) -> int | None:
            case_id = conn.scalar(_recording(conn.dialect.name), row)
            return None if case_id is None else int(case_id)

        try:
            return await self._db.run(write)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"could not record the command: {exc}") from exc

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

        def take(conn: Connection) -> Job | None:
            if lane == "change":
                # PostgreSQL: serialise the room's change claims, so that two instances cannot
                # each take one of two queued jobs before either sees the other's running.
                advisory_lock(conn, f"claim\0{platform}\0{room}")
            now = time.time()
            row = conn.execute(
                _claiming(lane),
                {
                    "in_platform": platform,
                    "in_room": room,
                    "owner": owner,
                    "now": now,
                    "until": now + lease_s,
                },
            ).first()
            if row is None:
                return None
            # In the same hop: what earlier runs settled (usually nothing), so the journal
            # needs no read per target.
            settled = {
                r.target_id: (r.status, r.line, r.platform_response, r.undo)
                for r in conn.execute(
                    select(
                        results.c.target_id,
                        results.c.status,
                        results.c.line,
                        results.c.platform_response,
                        results.c.undo,
                    ).where(results.c.command_id == row.id, results.c.status.not_in(UNSETTLED))
                )
            }
            invocation = Invocation.from_json(json.loads(row.invocation))
            return Job(row.id, row.command, invocation, settled)

        return await self._db.run(take)

    async def runnable_rooms(self) -> list[tuple[str, str, str]]:
        """(platform, room, lane) of every room with a job that could be claimed now."""

        def read(conn: Connection) -> list[tuple[str, str, str]]:
            rows = conn.execute(
                select(commands.c.platform, commands.c.room, commands.c.lane)
                .where(_runnable(time.time()))
                .distinct()
                .order_by(commands.c.platform, commands.c.room, commands.c.lane)
            )
            return [(r.platform, r.room, r.lane) for r in rows]

        return await self._db.run(read)

    async def renew(self, job_id: int, lease_s: float) -> None:
        await self._update(job_id, lease_until=time.time() + lease_s)

    async def release(self, job_id: int) -> None:
        await self._update(
            job_id,
            state="queued",
            claimed_by=None,
            lease_until=None,
            only=commands.c.state == "running",
        )

    async def defer(self, job_id: int, not_before: float) -> None:
        """Queue a job again, not to be claimed before ``not_before`` (epoch seconds)."""
        await self._update(
            job_id,
            state="queued",
            claimed_by=None,
            lease_until=None,
            not_before=not_before,
            only=commands.c.state != "done",
        )

    async def next_due(self) -> float | None:
        """The earliest future ``not_before`` of a queued job (epoch seconds), if any."""

        def read(conn: Connection) -> float | None:
            due = conn.scalar(
                select(func.min(commands.c.not_before)).where(
                    commands.c.state == "queued", commands.c.not_before > time.time()
                )
            )
            return None if due is None else float(due)

        return await self._db.run(read)

    async def note_reason(self, job_id: int, reason: str | None) -> None:
        await self._update(job_id, reason=reason)

    async def note_total(self, job_id: int, total: int) -> None:
        await self._update(job_id, total=total)

    async def mark_undoes(self, case: int, undone: int) -> None:
        await self._update(case, undoes=undone)

    async def _update(
        self, job_id: int, *, only: ColumnElement[bool] | None = None, **values: Any
    ) -> None:
        """Set columns of one command (if it meets ``only``): one statement."""
        stmt = update(commands).where(commands.c.id == job_id).values(**values)
        if only is not None:
            stmt = stmt.where(only)

        def write(conn: Connection) -> None:
            conn.execute(stmt)

        await self._db.run(write)

    async def finish(self, job_id: int, outcome: str, reply: str) -> None:
        """Close the case and append it, with its per-target results, to the audit chain."""
        await self._db.run(lambda conn: _finish(conn, job_id, outcome, reply), atomic=True)

    # --- cancelling, listing --------------------------------------------------------------

    async def request_cancel(self, case: int, by_case: int, reply: str) -> str:
        """Cancel a case on behalf of ``by_case``: "cancelled" (it had not started, or waited
        for a confirmation: it is now finished, outcome "cancelled", in the audit chain),
        "stopping" (it is running: its worker stops after the current target), "finished"
        (already done, nothing changed) or "unknown" (no such case)."""

        def cancel(conn: Connection) -> str:
            state = conn.scalar(
                select(commands.c.state).where(commands.c.id == case).with_for_update()
            )
            if state is None:
                return "unknown"
            if state == "done":
                return "finished"
            conn.execute(
                update(commands).where(commands.c.id == case).values(cancel_requested_by=by_case)
            )
            if state == "running":
                return "stopping"
            _finish(conn, case, "cancelled", reply)
            return "cancelled"

        answer = await self._db.run(cancel, atomic=True)
        if answer == "stopping":
            self._cancelled_here.add(case)
        return answer

    def cancelled_here(self, case: int) -> bool:
        return case in self._cancelled_here

    async def cancel_requested(self, case: int) -> bool:
        def read(conn: Connection) -> bool:
            by = conn.scalar(select(commands.c.cancel_requested_by).where(commands.c.id == case))
            return by is not None

        return await self._db.run(read)

    async def open_jobs(self, platform: str, room: str) -> list[OpenJob]:
        """The room's unfinished cases, oldest first."""
        settled = (
            select(func.count())
            .where(results.c.command_id == commands.c.id, results.c.status.not_in(UNSETTLED))
            .scalar_subquery()
        )

        def read(conn: Connection) -> list[OpenJob]:
            now = time.time()
            rows = conn.execute(
                select(commands, settled.label("settled"))
                .where(
                    commands.c.platform == platform,
                    commands.c.room == room,
                    commands.c.state != "done",
                )
                .order_by(commands.c.id)
            )
            return [
                OpenJob(
                    case=r.id,
                    command=r.command,
                    caller=UserRef(r.caller_id, r.caller_label),
                    state=(
                        "scheduled"
                        if r.state == "queued" and r.not_before is not None and r.not_before > now
                        else r.state
                    ),
                    not_before=r.not_before,
                    total=r.total,
                    settled=r.settled,
                    received_at=r.received_at,
                    cancel_requested=r.cancel_requested_by is not None,
                )
                for r in rows
            ]

        return await self._db.run(read)

    # --- undo -----------------------------------------------------------------------------

    async def undoable(self, case: int) -> list[tuple[UserRef, dict[str, Any]]]:
        """The changes a case made that can be reversed, in order."""

        def read(conn: Connection) -> list[tuple[UserRef, dict[str, Any]]]:
            rows = conn.execute(
                select(results.c.target_id, results.c.target_label, results.c.undo)
                .where(
                    results.c.command_id == case,
                    results.c.status == "done",
                    results.c.undo.is_not(None),
                )
                .order_by(results.c.id)
            )
            return [(UserRef(r.target_id, r.target_label), json.loads(r.undo)) for r in rows]

        return await self._db.run(read)

    async def undone_by(self, case: int) -> int | None:
        return await self._first_case(
            select(commands.c.id)
            .where(commands.c.undoes == case, commands.c.outcome == "report")
            .order_by(commands.c.id)
        )

    async def last_case(
        self, platform: str, room: str, caller_id: str, names: Sequence[str]
    ) -> int | None:
        return await self._first_case(
            select(commands.c.id)
            .where(
                commands.c.platform == platform,
                commands.c.room == room,
                commands.c.caller_id == caller_id,
                commands.c.command.in_(list(names)),
                commands.c.outcome == "report",
            )
            .order_by(commands.c.id.desc())
        )

    async def _first_case(self, query: Any) -> int | None:
        def read(conn: Connection) -> int | None:
            found = conn.scalar(query.limit(1))
            return None if found is None else int(found)

        return await self._db.run(read)

    # --- confirmations --------------------------------------------------------------------

    async def await_confirmation(
        self, job_id: int, targets: int, estimate_s: float, within_s: float
    ) -> None:
        """Park a claimed case until its caller confirms it (see ``confirm``)."""

        def park(conn: Connection) -> None:
            stmt = insert(conn, confirmations).values(
                case_id=job_id,
                targets=targets,
                estimate_seconds=estimate_s,
                expires_at=time.time() + within_s,
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[confirmations.c.case_id],
                    set_={
                        c: stmt.excluded[c] for c in ("targets", "estimate_seconds", "expires_at")
                    },
                )
            )
            conn.execute(
                update(commands)
                .where(commands.c.id == job_id)
                .values(state="awaiting", claimed_by=None, lease_until=None)
            )

        await self._db.run(park, atomic=True)

    async def pending_confirmation(self, case: int) -> PendingConfirmation | None:
        def read(conn: Connection) -> PendingConfirmation | None:
            row = conn.execute(
                select(commands, confirmations)
                .join(confirmations, confirmations.c.case_id == commands.c.id)
                .where(commands.c.id == case)
            ).first()
            if row is None:
                return None
            return PendingConfirmation(
                case=row.id,
                platform=row.platform,
                room=row.room,
                caller=UserRef(row.caller_id, row.caller_label),
                command=row.command,
                targets=row.targets,
                estimate_seconds=row.estimate_seconds,
                expires_at=row.expires_at,
                confirmed_by=row.confirmed_by,
                state=row.state,
            )

        return await self._db.run(read)

    async def confirm(self, case: int, by_case: int) -> bool:
        """Queue an awaiting case again, marked confirmed, if it has not expired."""

        def release(conn: Connection) -> bool:
            open_plan = exists().where(
                confirmations.c.case_id == case,
                confirmations.c.confirmed_by.is_(None),
                confirmations.c.expires_at > time.time(),
            )
            queued = conn.execute(
                update(commands)
                .where(commands.c.id == case, commands.c.state == "awaiting", open_plan)
                .values(state="queued")
            )
            if queued.rowcount != 1:
                return False
            conn.execute(
                update(confirmations)
                .where(confirmations.c.case_id == case)
                .values(confirmed_by=by_case, confirmed_at=now_iso())
            )
            return True

        return await self._db.run(release, atomic=True)

    async def is_confirmed(self, case: int) -> bool:
        def read(conn: Connection) -> bool:
            by = conn.scalar(
                select(confirmations.c.confirmed_by).where(confirmations.c.case_id == case)
            )
            return by is not None

        return await self._db.run(read)

    async def expire_confirmations(self, reply: str) -> list[int]:
        """Close every case whose plan was not confirmed in time (outcome "expired")."""

        def expire(conn: Connection) -> list[int]:
            expired = list(
                conn.scalars(
                    select(commands.c.id)
                    .join(confirmations, confirmations.c.case_id == commands.c.id)
                    .where(
                        commands.c.state == "awaiting",
                        confirmations.c.confirmed_by.is_(None),
                        confirmations.c.expires_at <= time.time(),
                    )
                    .order_by(commands.c.id)
                    .with_for_update(of=commands, skip_locked=True)
                )
            )
            for case_id in expired:
                _finish(conn, case_id, "expired", reply)
            return expired

        return await self._db.run(expire, atomic=True)

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
        return await self._db.run(
            lambda conn: _audit(conn, room=room, user=user, since=since, case=case, limit=limit)
        )


def _finish(conn: Connection, job_id: int, outcome: str, reply: str) -> None:
    """Close a case and append it to the audit chain, inside the caller's atomic unit."""
    closed = conn.execute(
        update(commands)
        .where(commands.c.id == job_id, commands.c.state != "done")
        .values(state="done", outcome=outcome, reply=reply, finished_at=now_iso(), lease_until=None)
    )
    if closed.rowcount != 1:
        return  # closed already (another instance's sweep): in the chain once
    (row,) = _audit(conn, case=job_id)
    case = {
        k: getattr(row, k)
        for k in ("platform", "room", "caller", "caller_id", "command", "text", "reason",
                  "outcome", "received_at", "finished_at")
    }  # fmt: skip
    entries: list[tuple[str, dict[str, Any]]] = [("case", {**case, "reply": reply})]
    entries += [("result", {"command": row.command, "room": row.room, **r}) for r in row.results]
    audit.append(conn, job_id, entries)


def _audit(
    conn: Connection,
    *,
    room: str | None = None,
    user: str | None = None,
    since: str | None = None,
    case: int | None = None,
    limit: int | None = None,
) -> list[AuditRow]:
    query = select(commands).order_by(commands.c.id)
    if case is not None:
        query = query.where(commands.c.id == case)
    if room:
        query = query.where(commands.c.room == room)
    if user:
        query = query.where(
            or_(
                commands.c.caller_id == user,
                func.lower(commands.c.caller_label) == func.lower(user),
                exists().where(
                    _TARGET.c.command_id == commands.c.id,
                    or_(
                        _TARGET.c.target_id == user,
                        func.lower(_TARGET.c.target_label) == func.lower(user),
                    ),
                ),
            )
        )
    if since:
        query = query.where(commands.c.received_at >= since)
    if limit:
        query = query.limit(int(limit))
    found = list(conn.execute(query))
    per_case: dict[int, list[dict[str, Any]]] = {c.id: [] for c in found}
    ids = list(per_case)
    for start in range(0, len(ids), _IN_CHUNK):
        rows = conn.execute(
            select(results)
            .where(results.c.command_id.in_(ids[start : start + _IN_CHUNK]))
            .order_by(results.c.command_id, results.c.id)
        )
        for r in rows:
            per_case[r.command_id].append(_result(r))
    return [
        AuditRow(
            case=c.id,
            received_at=c.received_at,
            finished_at=c.finished_at,
            platform=c.platform,
            room=c.room,
            caller=c.caller_label,
            caller_id=c.caller_id,
            command=c.command,
            text=c.text,
            reason=c.reason,
            state=c.state,
            outcome=c.outcome,
            results=per_case[c.id],
        )
        for c in found
    ]


def _result(r: Row[Any]) -> dict[str, Any]:
    return {
        "target_id": r.target_id,
        "target": r.target_label,
        "result": r.status,
        "detail": plain((from_json(json.loads(r.line)),)),
        "platform_response": r.platform_response,
        "at": r.at,
    }


__all__ = ["LANES", "AuditRow", "CommandJournal", "Job", "OpenJob", "PendingConfirmation", "Store"]
