from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests import conftest as s


async def test_undo_an_ib_removal(pod: SymphonyPod, desk: s.Room) -> None:
    await desk.say(s.FRANK, f"/ib-remove {s.GROUP} @bob @dave")
    assert s.BOB not in pod.group(s.GROUP).members
    reply = await desk.say(s.FRANK, "/undo")
    assert "Re-added @Bob Member to IB group" in reply.text
    assert "Re-added @Dave External to IB group" in reply.text
    assert {s.BOB, s.DAVE} <= set(pod.group(s.GROUP).members)


async def test_undo_past_the_window_and_after_a_restart(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    first = await s.start_bot(settings_for())
    await pod.wait_until_listening()
    pod.say(s.ALICE, s.DESK, "/kick @bob")
    await pod.next_message(s.DESK)
    await first.stop()
    # A new process with the same store: the case is still there and still undoable.
    second = await s.start_bot(settings_for())
    try:
        pod.say(s.ALICE, s.DESK, "/undo 1")
        assert "Re-added @Bob Member." in (await pod.next_message(s.DESK)).text
        pod.say(s.ALICE, s.DESK, "/kick @dave")
        await pod.next_message(s.DESK)
    finally:
        await second.stop()
    policy = {"commands": {"ib-remove": {"users": ["frank@example.com"]}}, "undo_window_minutes": 0}
    third = await s.start_bot(settings_for(policy=policy))
    try:
        pod.say(s.ALICE, s.DESK, "/undo 3")
        reply = (await pod.next_message(s.DESK)).text
        assert "Case 3 is past the undo window (0 minutes" in reply
        assert s.DAVE not in pod.room(s.DESK).members
    finally:
        await third.stop()


async def test_undo_reports_a_per_user_refusal(pod: SymphonyPod, desk: s.Room) -> None:
    await desk.say(s.FRANK, f"/ib-remove {s.GROUP} @bob @dave")
    pod.user(s.DAVE).active = False  # deactivated since: the pod refuses to re-add him
    reply = await desk.say(s.FRANK, "/undo")
    assert "undoing case 1: 1 done, 1 failed" in reply.text
    assert "Re-added @Bob Member to IB group" in reply.text
    assert f"Could not re-add @Dave External to IB group {s.GROUP}: the platform said" in reply.text
