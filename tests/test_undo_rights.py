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

from bot.app import App
from bot.testing.symphony import SymphonyPod
from tests import conftest as s

ADD = r"/pod/v1/room/[^/]+/membership/add"
IB_ADD = r"/pod/v1/admin/group/[^/]+/membership/add"


def adds(pod: SymphonyPod) -> list[tuple[str, int]]:
    """(room, user id) of every re-add the pod received, in order."""
    return [(r.path.split("/")[4], r.body["id"]) for r in pod.calls("POST", ADD)]


async def bot_with(pod: SymphonyPod, settings_for: s.ConfigMaker, policy: dict[str, Any]) -> App:
    app = await s.start_bot(settings_for(policy=policy))
    await pod.wait_until_listening()
    return app


async def test_a_room_owner_cannot_undo_an_ib_removal_without_the_ib_right(
    pod: SymphonyPod, desk: s.Room
) -> None:
    await desk.say(s.FRANK, f"/ib-remove {s.GROUP} @bob @dave")
    assert {s.BOB, s.DAVE}.isdisjoint(pod.group(s.GROUP).members)
    before = s.changes(pod)
    reply = (await desk.say(s.ALICE, "/undo 1")).text  # Alice owns the desk; /undo is hers here
    assert "undoing case 1: 2 refused" in reply
    for name in ("Bob Member", "Dave External"):
        assert (
            f"Not undone for @{name} in IB group {s.GROUP}: undoing /ib-remove needs a user named"
            " in policy.commands.ib-remove.users." in reply
        )
    assert s.changes(pod) == before  # no state-changing call
    assert {s.BOB, s.DAVE}.isdisjoint(pod.group(s.GROUP).members)
    # The one with the right still can: the refusals claimed nothing.
    again = (await desk.say(s.FRANK, "/undo 1")).text
    assert "undoing case 1: 2 done" in again
    assert {s.BOB, s.DAVE} <= set(pod.group(s.GROUP).members)


OFFBOARD: dict[str, Any] = {
    "commands": {
        "offboard": {"users": ["frank@example.com"]},
        "undo": {"room_owners": True, "users": ["frank@example.com"]},
    },
    "owners_may_act_on_owners": True,
}


async def test_a_desk_owner_cannot_undo_an_offboarding(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    app = await bot_with(pod, settings_for, OFFBOARD)
    try:
        desk = s.Room(pod, s.DESK)
        reply = (await desk.say(s.FRANK, f"/offboard @bob --ib-group {s.GROUP}")).text
        assert "3 done" in reply  # the desk, Solo and the IB group
        before = s.changes(pod)
        undo = (await desk.say(s.ALICE, "/undo 1")).text  # Alice owns both rooms, yet
        assert "undoing case 1: 3 refused" in undo
        for where in ("in “Trading Desk”", "in “Solo”", f"in IB group {s.GROUP}"):
            assert (
                f"Not undone for @Bob Member {where}: undoing /offboard needs a user named in"
                " policy.commands.offboard.users." in undo
            )
        assert s.changes(pod) == before
        assert s.BOB not in pod.room(s.DESK).members
        assert s.BOB not in pod.room(s.SOLO).members
        assert s.BOB not in pod.group(s.GROUP).members
    finally:
        await app.stop()


async def test_an_offboarding_is_undone_only_in_the_rooms_the_caller_owns(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    """With room owners allowed to offboard, each room's step needs its own owner: Carol owns
    the desk, not Solo."""
    policy = {
        **OFFBOARD,
        "commands": {
            "offboard": {"room_owners": True, "users": ["frank@example.com"]},
            "undo": {"room_owners": True},
        },
    }
    app = await bot_with(pod, settings_for, policy)
    try:
        desk = s.Room(pod, s.DESK)
        assert "2 done" in (await desk.say(s.FRANK, "/offboard @bob")).text
        undo = (await desk.say(s.CAROL, "/undo 1")).text
        assert "undoing case 1: 1 done, 1 refused" in undo
        assert "Re-added @Bob Member to “Trading Desk”." in undo
        assert (
            "Not undone for @Bob Member in “Solo”: undoing /offboard needs an owner of the room"
            " or a user named in policy.commands.offboard.users, as running it would." in undo
        )
        assert adds(pod) == [(pod.room(s.DESK).stream_id, s.BOB)]
        assert s.BOB in pod.room(s.DESK).members
        assert s.BOB not in pod.room(s.SOLO).members
    finally:
        await app.stop()


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
