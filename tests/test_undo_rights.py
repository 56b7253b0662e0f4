"""/undo obeys rights and runs at most once (Symphony, end to end).

A step of an undo is reversed only where the caller could run the original command on that
person in that place now: its policy right, ownership of each room a step acts in, and rank (a
caller never reverses the change of someone who outranks them unless policy.commands.undo.users
names them). A step refused gets its own line and no state-changing call; the others go ahead.
Each change is claimed in the store before it is reversed: two /undo at once re-add once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.app import App
from bot.testing.symphony import SymphonyPod
from tests import conftest as s
from tests.kit import SPINE_POLICY

ADD = r"/pod/v1/room/[^/]+/membership/add"
IB_ADD = r"/pod/v1/admin/group/[^/]+/membership/add"


def adds(pod: SymphonyPod) -> list[tuple[str, int]]:
    """(room, user id) of every re-add the pod received, in order."""
    return [(r.path.split("/")[4], r.body["id"]) for r in pod.calls("POST", ADD)]


OFFBOARD: dict[str, Any] = {
    **SPINE_POLICY,
    "commands": {**SPINE_POLICY["commands"], "offboard": {"users": ["frank@example.com"]}},
}


@pytest.mark.parametrize(
    ("line", "command", "names", "steps"),
    [
        (f"/ib-remove {s.GROUP} @bob @dave", "ib-remove", ["Bob Member", "Dave External"], 2),
        (f"/offboard @bob --ib-group {s.GROUP}", "offboard", ["Bob Member"], 3),
    ],
    ids=["ib-remove", "offboard"],
)
async def test_a_room_owner_cannot_undo_an_ib_removal_without_the_commands_right(
    pod: SymphonyPod,
    settings_for: s.ConfigMaker,
    line: str,
    command: str,
    names: list[str],
    steps: int,
) -> None:
    """Alice owns every room here and may /undo, yet not a step in an IB group: that needs the
    right to run the command (an offboarding's steps in rooms: the contract's
    ``test_an_owner_of_every_room_cannot_undo_an_offboarding``). No call is made, nothing is
    claimed: Frank, who has the right, still can."""
    async with s.running(pod, settings_for(policy=OFFBOARD)):
        desk = s.Room(pod, s.DESK)
        assert f"{steps} done" in (await desk.say(s.FRANK, line)).text
        gone = set(pod.group(s.GROUP).members)
        before = s.changes(pod)
        reply = (await desk.say(s.ALICE, "/undo 1")).text
        assert f"undoing case 1: {steps} refused" in reply
        for name in names:
            assert (
                f"Not undone for @{name} in IB group {s.GROUP}: undoing /{command} needs a user"
                f" named in policy.commands.{command}.users." in reply
            )
        assert s.changes(pod) == before
        assert set(pod.group(s.GROUP).members) == gone
        again = (await desk.say(s.FRANK, "/undo 1")).text
        assert f"undoing case 1: {steps} done" in again
        assert {s.BOB, s.DAVE} <= set(pod.group(s.GROUP).members)


async def test_two_undos_at_once_re_add_once(
    pod: SymphonyPod, settings_on_store: s.ConfigMaker, store_url: str
) -> None:
    """Two /undo 1 sent together from two rooms; on PostgreSQL through two instances sharing
    the store. The pod sees one re-add per person."""
    policy = {
        "commands": {"undo": {"room_owners": True, "users": ["alice@example.com"]}},
        "owners_may_act_on_owners": True,
        "protect_named_users": False,
    }
    settings = settings_on_store(policy=policy)
    apps = [await s.start_bot(settings)]
    try:
        await pod.wait_until_listening()
        if store_url.startswith("postgresql"):
            apps.append(await s.start_bot(settings))
            await pod.wait_until_listening(readers=2)
        desk = s.Room(pod, s.DESK)
        assert "2 done" in (await desk.say(s.ALICE, "/kick @bob @dave")).text
        await case_closed(apps[0], 1)  # its reply is posted just before it closes
        pod.say(s.ALICE, s.DESK, "/undo 1")
        pod.say(s.ALICE, s.SOLO, "/undo 1")
        replies = await asyncio.gather(pod.next_message(s.DESK, 20), pod.next_message(s.SOLO, 20))
        texts = [r.text for r in replies]
        assert sum("undoing case 1: 2 done" in t for t in texts) == 1, texts
        loser = next(t for t in texts if "2 done" not in t)
        assert "already undone by case" in loser or "Already undone for" in loser, loser
        assert sorted(adds(pod)) == sorted((pod.room(s.DESK).stream_id, u) for u in (s.BOB, s.DAVE))
        assert pod.calls("POST", IB_ADD) == []
    finally:
        for app in apps:
            await app.stop()


async def case_closed(app: App, case: int) -> None:
    store = app.store
    assert store is not None
    for _ in range(500):
        (row,) = await store.audit(case=case)
        if row.finished_at:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"case {case} never closed")


async def test_an_undo_of_a_case_not_finished_yet_changes_nothing(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    """A case still running (its reply may already be out) is not "past the undo window";
    the /undo comes from another room, as one in the same room waits behind the case."""
    policy = {"commands": {"undo": {"room_owners": True, "users": ["alice@example.com"]}}}
    async with s.running(pod, settings_for(policy=policy)):
        release = pod.hold_next("POST", r"/membership/remove")
        pod.say(s.ALICE, s.DESK, "/kick @bob")
        await pod.wait_for_calls("POST", r"/membership/remove", 1)
        pod.say(s.ALICE, s.SOLO, "/undo 1")
        reply = await pod.next_message(s.SOLO, 20)
        assert "Case 1 has not finished yet; nothing was changed." in reply.text
        release.set()
        assert "1 done" in (await pod.next_message(s.DESK, 20)).text
        assert pod.calls("POST", r"/membership/add") == []
