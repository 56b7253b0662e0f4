"""Jobs and their leases: a command recorded once per event, claimed by one worker at a time
under a lease it renews, queued again when handed back or deferred."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from bot.errors import StoreError
from bot.model import Invocation
from bot.store.connection import Connection, advisory_lock
from bot.store.journal import UNSETTLED_SQL
from bot.store.part import StorePart
from bot.store.records import Job, SettledRow

T = TypeVar("T")

LANES = ("change", "control", "cli")
"""'change' jobs act on a room, one at a time per room across instances; 'control' jobs
(listing, cancelling) never wait behind them; 'cli' jobs belong to a command-line run
(``kickbot offboard``) and are never taken by a bot."""


RUNNABLE = (
    "((state = 'queued' AND (not_before IS NULL OR not_before <= :now))"
    " OR (state = 'running' AND lease_until < :now))"
)
"""A job that could be claimed now: queued and due, or running with an expired lease."""

LAPSED = (
    "SELECT id FROM commands WHERE platform = :platform AND room = :room AND lane = :lane"
    " AND state = 'running' AND lease_until < :now"
)
"""The jobs of a lane in a room whose instance's lease has lapsed: claiming one is a takeover."""

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


class Jobs(StorePart):
    """Recording commands, claiming them under a lease, handing them back."""

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

    async def case_of_event(self, platform: str, event_id: str) -> int:
        """The case recorded for a platform's event (StoreError: none)."""
        sql = "SELECT id FROM commands WHERE platform = :p AND event_id = :e"
        case = await self._first_case(sql, {"p": platform, "e": event_id})
        if case is None:
            raise StoreError(f"no case was recorded for event {event_id}")
        return case

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
    where = {"platform": platform, "room": room, "lane": lane, "now": now}
    # Read before the claim, with the same ``now``: a job lapsed then and claimed now was taken
    # over (the claim's UPDATE returns only the row as it leaves it). Usually no row.
    lapsed = {int(r["id"]) for r in conn.rows(LAPSED, where)}
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
    case = int(row["id"])
    return Job(case, row["command"], invocation, settled, taken_over=case in lapsed)
