"""The store's undo claims: each change of a case is claimed by one undo, even when two stores
(instances) claim at once, on SQLite and PostgreSQL; undos made before the claims stay undone."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.model import Invocation, RoomRef, UserRef, Word
from bot.outcome import ItemResult, OutcomeKind, Status
from bot.reply import line
from bot.store import Store
from bot.undo_steps import Readd
from tests.stores import opened, two_open
from tests.test_store_migrations import LEGACY_DDL, LEGACY_JOB_STATE

TARGETS = [f"u{n}" for n in range(20)]


def invocation(event: str, *words: str) -> Invocation:
    tokens = tuple(Word(w) for w in words)
    return Invocation("symphony", event, RoomRef("room1"), UserRef("1", "Alice"), tokens)


async def a_kick(store: Store) -> int:
    """A finished /kick that removed every one of TARGETS (each reversible)."""
    case = await store.record(invocation("kick", "/kick"), "kick")
    assert case is not None
    journal = store.journal(case)
    for target in TARGETS:
        done = ItemResult(UserRef(target), Status.DONE, line("Removed."), "ok", Readd(owner=False))
        await journal.record(done)
    await store.finish(case, OutcomeKind.REPORT, "done")
    return case


async def a_kick_and_two_undos(store: Store) -> tuple[int, int, int]:
    """``a_kick``'s case, and the cases of two /undo commands recorded after it."""
    kick = await a_kick(store)
    one = await store.record(invocation("undo-1", "/undo"), "undo")
    two = await store.record(invocation("undo-2", "/undo"), "undo")
    assert one is not None
    assert two is not None
    return kick, one, two


async def test_two_stores_claiming_at_once_each_change_has_one_holder(store_url: str) -> None:
    async with two_open(store_url) as (first, second):
        kick = await a_kick(first)
        since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="milliseconds")
        found = await first.last_undoable("symphony", "room1", "1", ["kick"], since)
        assert found == kick
        one = await first.record(invocation("undo-1", "/undo"), "undo")
        two = await second.record(invocation("undo-2", "/undo"), "undo")
        assert one is not None
        assert two is not None
        # Interleaved halves: each store claims one half first, then the whole.
        halves = (TARGETS[::2] + TARGETS[1::2], TARGETS[1::2] + TARGETS[::2])
        got = await asyncio.gather(
            *(
                store.claim_undo(kick, by, order)
                for _ in range(3)
                for store, by, order in ((first, one, halves[0]), (second, two, halves[1]))
            )
        )
        assert all(g == got[0] for g in got)  # every claimer sees the same holder
        assert set(got[0]) == set(TARGETS)
        assert set(got[0].values()) <= {one, two}
        assert await second.undo_claims(kick) == got[0]
        # Nothing left to undo: the case is no longer the caller's last undoable one.
        assert await second.last_undoable("symphony", "room1", "1", ["kick"], since) is None


async def test_undos_finished_before_the_claims_stay_undone(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(LEGACY_DDL + LEGACY_JOB_STATE)
        for case, command, undoes in ((1, "kick", None), (2, "undo", 1), (3, "kick", None)):
            db.execute(
                "INSERT INTO commands (id, platform, event_id, room, caller_id, caller_label,"
                " command, text, undoes, invocation, state, outcome, received_at, finished_at)"
                " VALUES (?, 'symphony', ?, 'room1', '1', 'Alice', ?, '', ?, '{}', 'done',"
                " 'report', '2026-12-01T00:00:00', '2026-12-01T00:00:01')",
                (case, f"e{case}", command, undoes),
            )
        for case in (1, 3):
            db.execute(
                "INSERT INTO results (command_id, target_id, target_label, status, line, undo, at)"
                " VALUES (?, 'bob', 'Bob', 'done', '[]', '{\"op\": \"add\"}', '2026-12-01')",
                (case,),
            )
    db.close()
    async with opened(f"sqlite:///{path}") as store:
        assert await store.undo_claims(1) == {"bob": 2}
        assert await store.undo_claims(3) == {}


async def test_a_released_claim_goes_with_its_failed_result_and_only_its_holders(
    store_url: str,
) -> None:
    async with opened(store_url) as store:
        kick, one, two = await a_kick_and_two_undos(store)
        assert await store.claim_undo(kick, one, ["u0", "u1"]) == {"u0": one, "u1": one}
        assert await store.claim_undo(kick, two, ["u2"]) == {"u2": two}
        failed = ItemResult(UserRef("u0"), Status.FAILED, line("Could not re-add."), "403")
        await store.journal(one).record(failed)
        # u2 is another undo's: left as it is.
        await store.release_undo(kick, one, ["u0", "u2"])
        assert await store.undo_claims(kick) == {"u1": one, "u2": two}
        (row,) = await store.audit(case=one)
        assert [(r["target_id"], r["result"]) for r in row.results] == [("u0", "failed")]
        assert await store.claim_undo(kick, two, ["u0"]) == {"u0": two}  # free to try again


async def test_a_cancel_of_an_undo_handed_back_gives_up_only_the_claims_it_never_began(
    store_url: str,
) -> None:
    """A shutdown handed the undo back after some changes (one in flight, its outcome
    unknown); cancelled before it runs again, it keeps the claims of those and gives up the
    rest, in the transaction that closes it. Another undo's claims are left as they are."""
    async with opened(store_url) as store:
        kick, one, two = await a_kick_and_two_undos(store)
        await store.mark_undoes(one, kick)
        await store.claim_undo(kick, one, ["u0", "u1", "u2", "u3"])
        await store.claim_undo(kick, two, ["u4"])
        journal = store.journal(one)
        await journal.record(ItemResult(UserRef("u0"), Status.DONE, line("Re-added.")))
        await journal.start(UserRef("u1"))  # in flight when it stopped
        assert await store.request_cancel(one, two, "cancelled") == "cancelled"
        assert await store.undo_claims(kick) == {"u0": one, "u1": one, "u4": two}
        assert await store.undoes(one) == kick
        assert await store.undoes(two) is None
