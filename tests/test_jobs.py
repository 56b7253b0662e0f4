"""/jobs, /cancel and --at: watching, stopping and scheduling long jobs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.testing.symphony import SymphonyPod
from tests import conftest as s
from tests.crowd import JUMBO, add_crowd, mentions

REMOVE = r"/membership/remove"
SLOW = {"jumbo_members": 10, "jumbo_interval_seconds": 0.2}


async def two_messages(pod: SymphonyPod, room: str) -> str:
    first = await pod.next_message(room, timeout=30)
    second = await pod.next_message(room, timeout=30)
    return first.text + "\n" + second.text


async def test_a_running_job_is_listed_and_cancelled_cleanly(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    crowd = add_crowd(pod, JUMBO, 30, name="Jumbo")
    async with s.running(pod, settings_for(bulk=SLOW)) as app:
        room = s.Room(pod, JUMBO)
        assert "/confirm 1" in (await room.say(s.ALICE, f"/kick {mentions(crowd[:20])}")).text
        await room.say(s.ALICE, "/confirm 1")
        await pod.wait_for_calls("POST", REMOVE, 3, timeout=30)
        # answered at once: /jobs does not wait behind the running job
        listing = await room.say(s.CAROL, "/jobs")
        assert "1 unfinished in this room:" in listing.text
        assert "• case 1 /kick by Alice Owner: running," in listing.text
        assert "of 20 handled" in listing.text
        assert "Stop one with /cancel <case>." in listing.text

        refused = await room.say(s.BOB, "/cancel 1")
        assert "Only Alice Owner, who asked for case 1, or an owner of this room can cancel it" in (
            refused.text
        )
        pod.say(s.CAROL, JUMBO, "/cancel 1")  # an owner of the room may stop anyone's job
        both = await two_messages(pod, JUMBO)
        assert "Case 1 stops after the change in hand" in both
        assert "@Alice Owner /kick · case 1: cancelled after" in both
        assert "The rest was not touched." in both
    removed = len(pod.calls("POST", REMOVE))
    assert 3 <= removed < 20
    assert len(set(crowd[:20]) - set(room.members)) == removed
    assert f"of 20: {removed} done." in both

    app = await s.start_bot(settings_for(bulk=SLOW))  # a cancelled job stays cancelled
    try:
        await pod.wait_until_listening()
        late = await room.say(s.ALICE, "/cancel 1")
        assert "Case 1 has finished: there is nothing left to cancel. /undo 1 reverses" in (
            late.text
        )
    finally:
        await app.stop()
    assert len(pod.calls("POST", REMOVE)) == removed


async def test_a_plan_waiting_for_confirmation_is_cancelled_at_once(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    crowd = add_crowd(pod, JUMBO, 12, name="Jumbo")
    async with s.running(pod, settings_for(bulk=SLOW)):
        room = s.Room(pod, JUMBO)
        await room.say(s.ALICE, f"/kick {mentions(crowd[:2])}")
        listing = await room.say(s.ALICE, "/jobs")
        assert "• case 1 /kick by Alice Owner: waiting for its caller's /confirm" in listing.text
        done = await room.say(s.ALICE, "/cancel 1")
        assert "Cancelled case 1 (/kick): it had changed nothing." in done.text
        assert "no jobs are running or waiting" in (await room.say(s.ALICE, "/jobs")).text.lower()
        late = await room.say(s.ALICE, "/confirm 1")
        assert "Case 1 is not waiting for a confirmation." in late.text
        case = await room.say(s.ALICE, "/case 1")
        assert "cancelled" in case.text
    assert s.changes(pod) == []


async def test_cancel_mistakes(pod: SymphonyPod, bot: App) -> None:
    desk = s.Room(pod, s.DESK)
    assert "There is no case 42." in (await desk.say(s.ALICE, "/cancel 42")).text
    assert "“x1” is not a case number." in (await desk.say(s.ALICE, "/cancel x1")).text
    assert "Removed @Bob Member." in (await s.Room(pod, s.SOLO).say(s.ALICE, "/kick @bob")).text
    assert (
        "Case 3 runs in another room: cancel it there."
        in (await desk.say(s.ALICE, "/cancel 3")).text
    )


async def test_at_schedules_a_kick_and_it_runs_when_due(pod: SymphonyPod, bot: App) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    desk = s.Room(pod, s.DESK)
    reply = await desk.say(s.ALICE, f"/kick @bob --at {soon} tidy")
    assert "@Alice Owner /kick · case 1: scheduled: it runs at " in reply.text
    assert "for 1 person, with every check made again then." in reply.text
    assert "To drop it, answer /cancel 1" in reply.text
    assert s.changes(pod) == []
    assert "scheduled for" in (await desk.say(s.ALICE, "/jobs")).text
    done = await pod.next_message(s.DESK, timeout=30)
    assert done.text.startswith("@Alice Owner /kick · case 1: 1 done")
    assert "Removed @Bob Member — reason: tidy" in done.text


async def test_a_scheduled_kick_can_be_cancelled(pod: SymphonyPod, bot: App) -> None:
    desk = s.Room(pod, s.DESK)
    assert "scheduled" in (await desk.say(s.ALICE, "/kick @bob --at 23:59")).text
    assert "Cancelled case 1" in (await desk.say(s.ALICE, "/cancel 1")).text
    assert s.changes(pod) == []


async def test_bad_and_past_times_are_refused(pod: SymphonyPod, bot: App) -> None:
    desk = s.Room(pod, s.DESK)
    bad = await desk.say(s.ALICE, "/kick @bob --at teatime")
    assert "“teatime” is not a time kickbot understands." in bad.text
    assert "--at 19:30 (the next 19:30, UTC)" in bad.text
    past = await desk.say(s.ALICE, "/kick @bob --at 2020-01-01T10:00")
    assert "2020-01-01 10:00 UTC has passed already. Nothing was changed." in past.text
    assert s.changes(pod) == []


async def test_a_jumbo_plan_in_working_hours_says_so(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    crowd = add_crowd(pod, JUMBO, 12, name="Jumbo")
    always = {"working_hours": "00:00-23:59", "working_days": "mon-sun"}
    async with s.running(pod, settings_for(bulk={**SLOW, **always, "timezone": "Europe/London"})):
        room = s.Room(pod, JUMBO)
        plan = await room.say(s.ALICE, f"/kick {mentions(crowd[:2])}")
        assert (
            "That is within working hours (00:00-23:59 mon-sun, Europe/London): Symphony advises"
            " changing rooms this size outside them. To run it later, ask again with --at HH:MM."
        ) in plan.text
        later = await room.say(s.ALICE, f"/kick {mentions(crowd[:2])} --at 23:58")
        assert "Once confirmed, it runs at " in later.text
    assert s.changes(pod) == []


async def test_jobs_shows_queued_running_and_stopping_cases_and_counts_past_25(
    pod: SymphonyPod, bot: App
) -> None:
    desk = s.Room(pod, s.DESK)
    held = pod.hold_next("POST", REMOVE)
    pod.say(s.ALICE, s.DESK, "/kick @bob")  # case 1: its removal is held, so it stays running
    await pod.wait_for_calls("POST", REMOVE, 1, timeout=30)
    for _ in range(26):
        pod.say(s.ALICE, s.DESK, "/kick @dave")  # cases 2-27: queued behind it
    assert bot.store is not None
    for _ in range(200):
        if len(await bot.store.open_jobs("symphony", pod.room(s.DESK).stream_id)) == 27:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the 27 commands were not all recorded")
    listing = await desk.say(s.CAROL, "/jobs")
    assert "27 unfinished in this room:" in listing.text
    assert "• case 1 /kick by Alice Owner: running" in listing.text
    assert "• case 2 /kick by Alice Owner: queued" in listing.text
    assert "… and 2 more." in listing.text
    assert "stops after the change in hand" in (await desk.say(s.ALICE, "/cancel 1")).text
    again = await desk.say(s.CAROL, "/jobs")
    assert "• case 1 /kick by Alice Owner: stopping (cancel asked)" in again.text
    held.set()
