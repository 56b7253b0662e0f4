"""Job state in the store: lanes, scheduling, cancellation, progress and the list of open jobs."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator

import pytest

from bot import audit
from bot.model import Invocation, RoomRef, UserRef, Word
from bot.outcome import ItemResult, OutcomeKind, Status
from bot.reply import line
from bot.store import OpenJob, Store
from bot.store.records import Job, JobState
from tests.stores import opened, two_open

ALICE = UserRef("1", "Alice", "alice@example.com")
ROOM, OTHER = "room1", "room2"
A, B = "instance-a", "instance-b"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    async with opened(store_url) as s:
        yield s


_events = iter(range(10**6))


async def record(
    store: Store, command: str = "kick", *, room: str = ROOM, lane: str = "change"
) -> int:
    inv = Invocation("symphony", f"m{next(_events)}", RoomRef(room), ALICE, (Word(f"/{command}"),))
    case = await store.record(inv, command, lane=lane)
    assert case is not None
    return case


async def claimed(store: Store, owner: str, lane: str = "change", room: str = ROOM) -> int | None:
    job = await store.claim("symphony", room, owner, 60, lane=lane)
    return None if job is None else job.id


async def test_a_room_runs_one_change_job_at_a_time_across_instances(store: Store) -> None:
    first, second = await record(store), await record(store)
    assert await claimed(store, A) == first
    assert await claimed(store, B) is None  # A holds a live lease on a change job here
    assert await claimed(store, A) == second  # A's own worker decides its order itself
    elsewhere = await record(store, room=OTHER)
    assert await claimed(store, B, room=OTHER) == elsewhere  # other rooms are not held up


async def test_control_jobs_never_wait_behind_a_change_job(store: Store) -> None:
    change = await record(store)
    control = await record(store, "jobs", lane="control")
    assert await store.runnable_rooms() == [
        ("symphony", ROOM, "change"),
        ("symphony", ROOM, "control"),
    ]
    assert await claimed(store, A) == change
    assert await claimed(store, B, lane="change") is None
    assert await claimed(store, B, lane="control") == control
    assert await store.runnable_rooms() == []


async def test_an_expired_lease_frees_the_room_for_another_instance(store: Store) -> None:
    first, second = await record(store), await record(store)
    job = await store.claim("symphony", ROOM, A, -1)  # A's lease has already run out
    assert job is not None
    assert (job.id, job.taken_over) == (first, False)  # it was queued
    assert await store.runnable_rooms() == [("symphony", ROOM, "change")]
    taken = await store.claim("symphony", ROOM, B, 60)
    assert taken is not None
    assert (taken.id, taken.taken_over) == (first, True)  # the abandoned job first, then the queue
    assert await claimed(store, A) is None  # now B holds the room
    await store.finish(first, OutcomeKind.REPORT, "done")
    assert await claimed(store, A) == second


def invocation(room: str = ROOM, event: str | None = None) -> Invocation:
    event = event or f"m{next(_events)}"
    return Invocation("symphony", event, RoomRef(room), ALICE, (Word("/kick"),))


async def test_recording_and_claiming_at_once(store: Store) -> None:
    case, job = await store.record_and_claim(invocation(), "kick", "change", A, 60)
    assert job is not None
    assert (job.id, job.command, job.settled) == (case, "kick", {})
    # Another instance's command in the room: recorded, but the room is A's for now.
    other, none = await store.record_and_claim(invocation(), "kick", "change", B, 60)
    assert other is not None
    assert none is None
    assert await claimed(store, A) == other
    # A redelivered event is not recorded twice; the claim still takes what is runnable.
    later = await record(store)
    again, job = await store.record_and_claim(invocation(event="m-dup"), "kick", "change", A, 60)
    repeat, job_after = await store.record_and_claim(
        invocation(event="m-dup"), "kick", "change", A, 60
    )
    assert repeat is None
    assert job is not None
    assert job.id == later  # the oldest runnable job comes first
    assert job_after is not None
    assert job_after.id == again


async def test_a_result_is_in_the_case_when_it_closes(store: Store) -> None:
    """A result still pending when the case closes is written with the close."""
    case, job = await store.record_and_claim(invocation(), "kick", "change", A, 60)
    assert job is not None
    journal = store.journal(case or 0, job.settled)
    bob = UserRef("2", "Bob")
    await journal.start(bob)
    await journal.record(ItemResult(bob, Status.DONE, line("Removed @Bob.")))
    await store.finish(job.id, OutcomeKind.REPORT, "Removed @Bob.")
    (row,) = await store.audit(case=case)
    assert [(r["target_id"], r["result"]) for r in row.results] == [("2", "done")]
    assert await audit.verify(store.database, None) == (2, None)


async def statuses(store: Store, case: int) -> dict[str, str]:
    """The results as the database holds them now (no pending result written first)."""
    rows = await store.database.run(
        lambda conn: conn.rows(
            "SELECT target_id, status FROM results WHERE command_id = :case", {"case": case}
        )
    )
    return {r["target_id"]: r["status"] for r in rows}


async def test_a_result_goes_with_its_case_s_next_write_and_a_release_writes_the_rest(
    store: Store,
) -> None:
    """No commit of its own: a result is written with the next target's start (one
    transaction); what is left when the job is handed back is written then, so the next run
    finds every result settled."""
    case, job = await store.record_and_claim(invocation(), "kick", "change", A, 60)
    assert case is not None
    assert job is not None
    journal = store.journal(case, job.settled)
    bob, dave = UserRef("2", "Bob"), UserRef("4", "Dave")
    await journal.start(bob)
    await journal.record(ItemResult(bob, Status.DONE, line("Removed @Bob.")))
    assert await statuses(store, case) == {"2": "started"}
    await journal.start(dave)
    assert await statuses(store, case) == {"2": "done", "4": "started"}
    await journal.record(ItemResult(dave, Status.FAILED, line("Could not remove @Dave.")))
    await store.release(case)
    again = await store.claim("symphony", ROOM, B, 60)
    assert again is not None
    assert again.id == case
    assert {k: v[0] for k, v in (again.settled or {}).items()} == {"2": "done", "4": "failed"}


async def claimed_with_a_pending_result(store: Store) -> tuple[int, Job]:
    """A /kick recorded and claimed, its removal of Bob done and written to its journal only:
    the result waits in the store for a read or for the case's close to write it."""
    case, job = await store.record_and_claim(invocation(), "kick", "change", A, 60)
    assert case is not None
    assert job is not None
    journal = store.journal(case, job.settled)
    bob = UserRef("2", "Bob")
    await journal.start(bob)
    await journal.record(ItemResult(bob, Status.DONE, line("Removed @Bob.")))
    return case, job


async def test_another_case_s_read_that_cannot_write_a_result_leaves_it_to_its_case(
    store: Store, store_url: str
) -> None:
    """A read first writes every case's pending results; when that fails, the read goes on
    and each result stays pending for its own case, which writes it later."""
    if not store_url.startswith("sqlite"):
        pytest.skip("renames a table behind the store's back (SQLite file)")
    case, _ = await claimed_with_a_pending_result(store)
    other = await record(store, room=OTHER)
    assert await claimed(store, B, room=OTHER) == other  # running: a cancel only marks it
    path = store_url.removeprefix("sqlite:///").split("?")[0]
    with sqlite3.connect(path, isolation_level=None) as outside:
        outside.execute("ALTER TABLE results RENAME TO results_away")
        assert await store.request_cancel(other, case, "stop") == "stopping"
        outside.execute("ALTER TABLE results_away RENAME TO results")
    await store.finish(case, OutcomeKind.REPORT, "Removed @Bob.")
    assert await statuses(store, case) == {"2": "done"}


async def test_an_unknown_lane_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="unknown lane 'bulk'"):
        await record(store, lane="bulk")
    with pytest.raises(ValueError, match="unknown lane"):
        await store.claim("symphony", ROOM, A, 60, lane="bulk")


async def test_a_deferred_job_waits_until_it_is_due(store: Store) -> None:
    case = await record(store)
    assert await claimed(store, A) == case
    later = time.time() + 3600
    await store.defer(case, later)
    assert await store.next_due() == pytest.approx(later)
    assert await store.runnable_rooms() == []
    assert await claimed(store, A) is None
    assert await claimed(store, B) is None  # the deferred job holds no lease
    (job,) = await store.open_jobs("symphony", ROOM)
    assert job.state == "scheduled"
    assert job.not_before == pytest.approx(later)
    await store.defer(case, time.time() - 1)  # now due
    assert await store.next_due() is None
    assert await store.runnable_rooms() == [("symphony", ROOM, "change")]
    (job,) = await store.open_jobs("symphony", ROOM)
    assert job.state == "queued"
    assert await claimed(store, B) == case


async def test_next_due_is_the_earliest_future_start(store: Store) -> None:
    assert await store.next_due() is None
    soon, late = time.time() + 60, time.time() + 600
    first, second = await record(store), await record(store, room=OTHER)
    await store.defer(first, late)
    await store.defer(second, soon)
    assert await store.next_due() == pytest.approx(soon)
    await store.request_cancel(second, 99, "cancelled")
    assert await store.next_due() == pytest.approx(late)


async def chain_case(store: Store, case: int) -> dict[str, object]:
    rows = await audit.export_rows(store.database, None, None)
    (entry,) = [r for r in rows if r["case"] == case and r["kind"] == "case"]
    return entry


async def test_cancelling_a_queued_case_finishes_it_in_the_audit_chain(store: Store) -> None:
    case = await record(store)
    by = await record(store, "cancel", lane="control")
    assert await store.request_cancel(case, by, "Cancelled by case 2.") == "cancelled"
    assert await store.cancel_requested(case)
    (row,) = await store.audit(case=case)
    assert (row.state, row.outcome) == ("done", "cancelled")
    assert (await chain_case(store, case))["outcome"] == "cancelled"
    assert await audit.verify(store.database, None) == (1, None)
    assert await claimed(store, A) is None  # nothing left to run in the change lane
    assert await store.request_cancel(case, by, "again") == "finished"
    assert await audit.verify(store.database, None) == (1, None)  # nothing appended


async def test_cancelling_a_scheduled_or_awaiting_case_finishes_it(store: Store) -> None:
    scheduled, awaiting = await record(store), await record(store)
    await store.defer(scheduled, time.time() + 3600)
    assert await claimed(store, A) == awaiting
    await store.await_confirmation(awaiting, 7, 3.0, 600)
    assert await store.request_cancel(scheduled, 9, "stop") == "cancelled"
    assert await store.request_cancel(awaiting, 9, "stop") == "cancelled"
    assert not await store.confirm(awaiting, 10)  # a cancelled plan cannot be confirmed
    assert [r.outcome for r in await store.audit()] == ["cancelled", "cancelled"]
    assert await store.open_jobs("symphony", ROOM) == []


async def test_cancelling_a_running_case_asks_its_worker_to_stop(store: Store) -> None:
    case = await record(store)
    assert await claimed(store, A) == case
    assert not await store.cancel_requested(case)
    assert await store.request_cancel(case, 5, "stop") == "stopping"
    assert await store.cancel_requested(case)
    (row,) = await store.audit(case=case)
    assert (row.state, row.outcome) == ("running", None)  # its worker finishes it
    (job,) = await store.open_jobs("symphony", ROOM)
    assert job.cancel_requested
    assert await store.request_cancel(case, 6, "stop") == "stopping"


async def test_cancelling_an_unknown_case(store: Store) -> None:
    assert await store.request_cancel(404, 1, "stop") == "unknown"
    assert not await store.cancel_requested(404)


async def test_open_jobs_show_state_progress_and_caller(store: Store) -> None:
    running, queued = await record(store), await record(store, "demote")
    await record(store, room=OTHER)
    done = await record(store)
    await store.finish(done, OutcomeKind.REPORT, "done")
    assert await claimed(store, A) == running
    await store.note_total(running, 4)
    journal = store.journal(running)
    targets = [UserRef(str(10 + i), f"T{i}") for i in range(4)]
    await journal.record(ItemResult(targets[0], Status.PLANNED, line("Would remove")))
    await journal.start(targets[0])  # a call in flight is not settled
    await journal.record(ItemResult(targets[1], Status.DONE, line("Removed")))
    await journal.record(ItemResult(targets[2], Status.REFUSED, line("Refused")))
    await journal.record(ItemResult(targets[3], Status.PLANNED, line("Would remove")))
    first, second = await store.open_jobs("symphony", ROOM)
    assert first == OpenJob(
        case=running,
        command="kick",
        caller=UserRef("1", "Alice"),
        state=JobState.RUNNING,
        not_before=None,
        total=4,
        settled=2,
        received_at=first.received_at,
        cancel_requested=False,
    )
    assert first.received_at.startswith(str(time.gmtime().tm_year))
    assert (second.case, second.command, second.state, second.total, second.settled) == (
        queued,
        "demote",
        "queued",
        None,
        0,
    )
    assert [j.case for j in await store.open_jobs("symphony", OTHER)] == [queued + 1]
    assert await store.open_jobs("slack", ROOM) == []


async def test_instances_claiming_at_once_take_each_job_once(store_url: str) -> None:
    async with two_open(store_url) as (first, second):
        cases = [await record(first, "jobs", lane="control") for _ in range(30)]

        async def drain(store: Store, owner: str) -> list[int]:
            taken = []
            while (job := await store.claim("symphony", ROOM, owner, 60, "control")) is not None:
                taken.append(job.id)
            return taken

        by_first, by_second = await asyncio.gather(drain(first, A), drain(second, B))
        assert sorted(by_first + by_second) == cases  # every job once, none twice

        for n in range(5):  # two instances race for a room's two change jobs: one wins
            room = f"race{n}"
            await record(first, room=room)
            await record(first, room=room)
            taken = await asyncio.gather(
                first.claim("symphony", room, A, 60), second.claim("symphony", room, B, 60)
            )
            assert len([job for job in taken if job is not None]) == 1


async def test_instances_finishing_at_once_keep_one_chain(store_url: str) -> None:
    async with two_open(store_url) as (first, second):
        cases = [await record(first) for _ in range(12)]
        await asyncio.gather(
            *(
                (first if i % 2 else second).finish(case, OutcomeKind.REPORT, f"done {case}")
                for i, case in enumerate(cases)
            )
        )
        assert await audit.verify(first.database, None) == (len(cases), None)
        rows = await audit.export_rows(first.database, None, None)
        assert sorted(int(r["case"]) for r in rows) == cases


async def test_a_read_writing_a_result_while_its_case_closes_leaves_the_chain_true(
    store: Store, store_url: str
) -> None:
    """A read that writes other cases' pending results (``/case``, ``/jobs``) may be writing
    a result of a case while that case closes: the close must wait for the write, or it would
    append the result to the audit chain as it stood before ("started") while the table says
    "done". On PostgreSQL the two run on two connections at once; an outside transaction
    holds the result's row so that the read's write is still under way when the close runs."""
    if not store_url.startswith("postgresql"):
        pytest.skip("two connections at once: PostgreSQL (SQLite has one writer)")
    import psycopg

    case, job = await claimed_with_a_pending_result(store)
    conninfo, _, schema = store_url.partition("?search_path=")
    async with await psycopg.AsyncConnection.connect(conninfo) as outside:
        await outside.execute(f'SET search_path TO "{schema}"')
        await outside.execute(
            "SELECT status FROM results WHERE command_id = %s FOR UPDATE", (case,)
        )
        reader = asyncio.create_task(store.audit())
        for _ in range(500):  # until the read's write waits for the row
            cur = await outside.execute(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'"
            )
            (waiting,) = await cur.fetchone() or (0,)
            if waiting:
                break
            await asyncio.sleep(0.01)
        assert waiting, "the read never wrote the pending result"
        closing = asyncio.create_task(store.finish(job.id, OutcomeKind.REPORT, "Removed @Bob."))
        await asyncio.sleep(0.3)
        await outside.commit()  # the read's write goes on
    await reader
    await closing
    assert await statuses(store, case) == {"2": "done"}
    checked = await audit.examine(store.database, None)
    assert checked.intact, checked.first_problem
