"""Commands changing more than bulk.confirm_above targets show their plan and wait for /confirm."""

from __future__ import annotations

from bot import audit
from bot.app import App
from bot.testing.symphony import SymphonyPod
from tests import conftest as s
from tests.crowd import CROWD, add_crowd, mentions


def removals(pod: SymphonyPod) -> int:
    return len(pod.calls("POST", r"/membership/remove"))


async def test_many_targets_wait_for_the_callers_confirmation(pod: SymphonyPod, bot: App) -> None:
    crowd = add_crowd(pod, CROWD, 8)
    room = s.Room(pod, CROWD)
    six = crowd[:6]
    plan = await room.say(s.ALICE, f"/kick {mentions(six)} cleanup")
    assert plan.text.startswith(
        "@Alice Owner /kick · case 1: plan: 6 would be done. That is more than the 5 changes"
        " this bot makes without a confirmation (bulk.confirm_above), so nothing is done yet:"
    )
    assert plan.text.count("Would remove @Member") == 6
    assert "Would remove @Member 5000 — reason: cleanup" in plan.text
    assert "This room is not paced (11 members), so it will take seconds." in plan.text
    assert "To go ahead, answer /confirm 1 here within 10 minutes; only you can confirm it." in (
        plan.text
    )
    assert s.changes(pod) == []

    other = await room.say(s.CAROL, "/confirm 1")  # an owner too, but not the caller
    assert "Only Alice Owner, who asked for case 1, can confirm it. Nothing was changed." in (
        other.text
    )
    assert s.changes(pod) == []

    ok = await room.say(s.ALICE, "/confirm 1")
    assert ok.text.startswith(
        "@Alice Owner /confirm · case 3: Confirmed case 1: /kick starts now (6 changes"
    ), ok.text
    summary = await pod.next_message(CROWD)
    assert summary.text.startswith("@Alice Owner /kick · case 1: 6 done")
    assert "Removed @Member 5005 — reason: cleanup" in summary.text
    assert not set(six) & set(room.members)
    assert set(crowd[6:]) <= set(room.members)
    assert removals(pod) == 6

    again = await room.say(s.ALICE, "/confirm 1")
    assert "Case 1 was already confirmed (case 3)." in again.text
    case = await room.say(s.ALICE, "/case 1")
    assert "It ran; for each person:" in case.text
    assert removals(pod) == 6


async def test_confirm_refusals(pod: SymphonyPod, settings_for: s.ConfigMaker) -> None:
    policy = {"commands": {"ib-remove": {"users": ["frank@example.com"]}}, "deny": [s.DAVE]}
    async with s.running(pod, settings_for(policy=policy)):
        crowd = add_crowd(pod, CROWD, 6)
        pod.room(CROWD).set_member(s.DAVE, owner=False)
        room, solo = s.Room(pod, CROWD), s.Room(pod, s.SOLO)
        assert "/confirm 1" in (await room.say(s.ALICE, f"/kick {mentions(crowd)}")).text
        assert "There is no case 99." in (await room.say(s.ALICE, "/confirm 99")).text
        assert "“abc” is not a case number." in (await room.say(s.ALICE, "/confirm abc")).text
        assert "The case is missing." in (await room.say(s.ALICE, "/confirm")).text
        assert (
            "Case 2 is not waiting for a confirmation."
            in (await room.say(s.ALICE, "/confirm 2")).text
        )
        assert (
            "Case 1 was asked for in another room: confirm it there."
            in (await solo.say(s.ALICE, "/confirm 1")).text
        )
        assert (
            "Only Alice Owner, who asked for case 1" in (await room.say(s.BOB, "/confirm 1")).text
        )
        assert "You are on this bot's deny list" in (await room.say(s.DAVE, "/confirm 1")).text
        assert s.changes(pod) == []
        # Still waiting: the refusals left it alone.
        assert "Confirmed case 1" in (await room.say(s.ALICE, "/confirm 1")).text
        assert "6 done" in (await pod.next_message(CROWD)).text


async def test_a_plan_with_few_changes_runs_at_once(pod: SymphonyPod, bot: App) -> None:
    crowd = add_crowd(pod, CROWD, 4)
    room = s.Room(pod, CROWD)
    # Six targets, but two are not members: four changes, not more than five.
    reply = await room.say(s.ALICE, f"/kick {mentions(crowd)} @bob @dave")
    assert reply.text.startswith("@Alice Owner /kick · case 1: 4 done, 2 refused")
    assert "@Bob Member is not a member of this room" in reply.text
    assert removals(pod) == 4


async def test_a_plan_survives_a_restart(pod: SymphonyPod, settings_for: s.ConfigMaker) -> None:
    first = await s.start_bot(settings_for())
    await pod.wait_until_listening()
    crowd = add_crowd(pod, CROWD, 7)
    room = s.Room(pod, CROWD)
    assert "/confirm 1" in (await room.say(s.ALICE, f"/kick {mentions(crowd)}")).text
    await first.stop()
    second = await s.start_bot(settings_for())
    try:
        await pod.wait_until_listening(readers=2)
        assert "Confirmed case 1" in (await room.say(s.ALICE, "/confirm 1")).text
        assert "7 done" in (await pod.next_message(CROWD)).text
    finally:
        await second.stop()
    assert removals(pod) == 7


async def test_an_unconfirmed_plan_expires(pod: SymphonyPod, settings_for: s.ConfigMaker) -> None:
    first = await s.start_bot(settings_for(bulk={"confirm_within_minutes": 0, "confirm_above": 2}))
    await pod.wait_until_listening()
    crowd = add_crowd(pod, CROWD, 3)
    room = s.Room(pod, CROWD)
    plan = await room.say(s.ALICE, f"/kick {mentions(crowd)}")
    assert "plan: 3 would be done. That is more than the 2 changes" in plan.text
    late = await room.say(s.ALICE, "/confirm 1")
    assert "Case 1 was not confirmed in time (bulk.confirm_within_minutes) and has expired" in (
        late.text
    )
    await first.stop()
    # The next start closes it: the case is finished, in the audit chain, as expired.
    second = await s.start_bot(settings_for())
    try:
        await pod.wait_until_listening(readers=2)
        case = await room.say(s.ALICE, "/case 1")
        assert "Its plan was not confirmed in time; nothing was changed." in case.text
        assert "planned: Would remove @Member 5000." in case.text
        assert "has expired" in (await room.say(s.ALICE, "/confirm 1")).text
        assert second.store is not None
        checked, broken = await audit.verify(second.store.database, None)
        assert broken is None
        assert checked >= 1 + 1 + len(crowd)  # case 2's entry, then case 1's and its results
    finally:
        await second.stop()
    assert s.changes(pod) == []
    assert set(crowd) <= set(pod.room(CROWD).members)


async def test_a_confirmed_job_cut_off_mid_call_resumes_without_acting_twice(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    first = await s.start_bot(settings_for())
    await pod.wait_until_listening()
    crowd = add_crowd(pod, CROWD, 7)
    room = s.Room(pod, CROWD)
    assert "/confirm 1" in (await room.say(s.ALICE, f"/kick {mentions(crowd)}")).text
    release = pod.hold_next("POST", r"/membership/remove")
    assert "Confirmed case 1" in (await room.say(s.ALICE, "/confirm 1")).text
    await pod.wait_for_calls("POST", r"/membership/remove", 1)
    await s.kill(first)  # while the first removal is in flight
    pod.room(CROWD).drop_member(crowd[0])  # the pod had applied it; the bot never heard
    release.set()

    second = await s.start_bot(settings_for())
    try:
        summary = await pod.next_message(CROWD, timeout=20)
    finally:
        await second.stop()
    assert summary.text.startswith("@Alice Owner /kick · case 1: 7 done")
    assert "Removed @Member 5000 (the call was made before kickbot restarted" in summary.text
    assert not set(crowd) & set(pod.room(CROWD).members)
    bodies = [r.body["id"] for r in pod.calls("POST", r"/membership/remove")]
    assert sorted(bodies) == crowd  # each target asked for exactly once
