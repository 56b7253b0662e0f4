"""Undo steps are typed values, stored as the tagged JSON earlier releases wrote.

A row written by an earlier release (its ``results.undo`` a dict such as
``{"op": "add", "owner": true}``) reads back as a typed step and /undo acts on it; what this
release cannot read is kept as written and never acted on.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.model import Invocation, RoomRef, UserRef, Word
from bot.outcome import ItemResult, OutcomeKind, Status
from bot.reply import line
from bot.store.database import Connection
from bot.testing.symphony import SymphonyPod
from bot.undo_steps import IbReadd, Readd, Repromote, UndoStep, Unreadable, dumps, loads
from handlers import COMMANDS
from tests.conftest import ALICE, CAROL, Room
from tests.stores import closed, opened

# (step, the dict an earlier release wrote for it: handlers built these by hand)
EARLIER_FORMS: list[tuple[UndoStep, dict[str, object]]] = [
    (Readd(owner=True), {"op": "add", "owner": True}),
    (Readd(owner=False), {"op": "add", "owner": False}),
    (
        Readd(owner=False, room="r9", name="Trading", user="u7"),
        {"op": "add", "room": "r9", "name": "Trading", "owner": False, "user": "u7"},
    ),
    (Repromote(), {"op": "promote"}),
    (Repromote(50), {"op": "promote", "level": 50}),
    (IbReadd("g1"), {"op": "ib-add", "group": "g1"}),
    (IbReadd("g1", "u7"), {"op": "ib-add", "group": "g1", "user": "u7"}),
]


@pytest.mark.parametrize(("step", "earlier"), EARLIER_FORMS, ids=lambda v: repr(v))
def test_a_step_is_stored_as_earlier_releases_wrote_it_and_reads_back(
    step: UndoStep, earlier: dict[str, object]
) -> None:
    text = dumps(step)
    assert text is not None
    assert json.loads(text) == earlier  # a release rolled back reads it too
    assert loads(json.dumps(earlier)) == step
    # Key order and spacing are the writer's: any order reads the same.
    assert loads(json.dumps(dict(reversed(list(earlier.items()))), indent=1)) == step


PREVIOUS_RELEASE_READD = {"op", "owner", "room", "name", "user", "platform"}
"""Every key the release before membership kinds reads in a Readd (more: it keeps it unread)."""


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ('{"op": "add"}', Readd(owner=False)),
        (
            '{"op": "add", "owner": true, "room": "r9", "name": "Desk", "user": "u7"}',
            Readd(owner=True, room="r9", name="Desk", user="u7", kind=None),
        ),
    ],
    ids=["before-owner-was-kept", "before-membership-kinds"],
)
def test_a_step_written_before_a_field_was_kept_reads_back_as_its_default(
    text: str, step: UndoStep
) -> None:
    """A kick's before the owner was kept re-adds as a member; a step before membership kinds,
    as the usual kind (``kind`` None)."""
    assert loads(text) == step


def test_a_membership_kind_is_written_only_when_it_is_not_the_usual() -> None:
    usual = dumps(Readd(owner=False, room="r9", name="Desk", user="u7", platform="chime_sdk"))
    assert usual is not None
    assert set(json.loads(usual)) <= PREVIOUS_RELEASE_READD  # the previous release reads it
    hidden = Readd(owner=True, room="r9", name="Desk", user="u7", kind="HIDDEN")
    text = dumps(hidden)
    assert text is not None
    assert json.loads(text)["kind"] == "HIDDEN"
    assert loads(text) == hidden
    # The previous release keeps it unread, never putting the person back as another kind.
    assert set(json.loads(text)) - PREVIOUS_RELEASE_READD == {"kind"}


def test_a_membership_kind_that_is_not_text_is_never_a_step() -> None:
    text = '{"op": "add", "owner": false, "kind": 1}'
    assert loads(text) == Unreadable(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"op": "add", "owner": "yes"}',  # a truthy string is not a yes
        '{"op": "add", "owner": true, "role": "admin"}',  # a field this release does not know
        '{"op": "promote", "level": true}',
        '{"op": "promote", "level": "50"}',
        '{"op": "ib-add"}',
        '{"op": "ib-add", "group": 7}',
        '{"op": "rename", "to": "x"}',
        '["add"]',
        "not json",
    ],
)
def test_what_is_not_understood_is_kept_as_written_and_never_a_step(text: str) -> None:
    found = loads(text)
    assert found == Unreadable(text)
    assert dumps(found) == text  # written back unchanged (a re-run keeps it)


def test_each_undoable_command_declares_the_steps_it_records() -> None:
    declared = {c.name: c.undo_steps for c in COMMANDS if c.undoable}
    assert declared == {
        "kick": (Readd,),
        "demote": (Repromote,),
        "ib-remove": (IbReadd,),
        "offboard": (Readd, IbReadd),
    }


async def test_the_store_reads_rows_an_earlier_release_wrote(store_url: str) -> None:
    async with opened(store_url) as store:
        inv = Invocation("symphony", "e1", RoomRef("room1"), UserRef("1", "Alice"), (Word("/x"),))
        case = await store.record(inv, "offboard")
        assert case is not None
        journal = store.journal(case)
        targets = [f"t{n}" for n in range(len(EARLIER_FORMS))]
        for target in targets:
            await journal.record(ItemResult(UserRef(target), Status.DONE, line("Done."), "ok"))
        await store.finish(case, OutcomeKind.REPORT, "done")

        def write_earlier_forms(conn: Connection) -> None:
            for target, (_, earlier) in zip(targets, EARLIER_FORMS, strict=True):
                conn.execute(
                    "UPDATE results SET undo = :undo WHERE command_id = :case"
                    " AND target_id = :target",
                    {"undo": json.dumps(earlier), "case": case, "target": target},
                )

        await store._db.run(write_earlier_forms)
        steps = [step for _, step in await store.undoable(case)]
        assert steps == [step for step, _ in EARLIER_FORMS]


async def test_undo_acts_on_a_kick_an_earlier_release_recorded(
    pod: SymphonyPod, desk: Room, tmp_path: Path
) -> None:
    """What this release cannot read is never acted on: the contract table's
    ``test_a_change_this_version_cannot_reverse_is_refused_by_name``."""
    assert "Removed @Carol Owner" in (await desk.say(ALICE, "/kick @carol")).text
    # As an earlier release wrote it: a dict built by hand, keys in its own order.
    with sqlite3.connect(tmp_path / "kickbot.db") as db:
        await closed(db, 1)
        db.execute("""UPDATE results SET undo = '{"owner": true, "op": "add"}'""")
    assert "Re-added @Carol Owner as owner." in (await desk.say(ALICE, "/undo 1")).text
    assert desk.members[CAROL] is True
