from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import (
    ALICE,
    BOB,
    DAVE,
    DESK,
    FRANK,
    GROUP,
    ConfigMaker,
    Room,
    start_bot,
)


async def test_undo_an_ib_removal(pod: SymphonyPod, desk: Room) -> None:
    await desk.say(FRANK, f"/ib-remove {GROUP} @bob @dave")
    assert BOB not in pod.group(GROUP).members
    reply = await desk.say(FRANK, "/undo")
    assert "Re-added @Bob Member to IB group" in reply.text
    assert "Re-added @Dave External to IB group" in reply.text
    assert {BOB, DAVE} <= set(pod.group(GROUP).members)


async def test_undo_past_the_window_and_after_a_restart(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    first = await start_bot(settings_for())
    await pod.wait_until_listening()
    pod.say(ALICE, DESK, "/kick @bob")
    await pod.next_message(DESK)
    await first.stop()
    # A new process with the same store: the case is still there and still undoable.
    second = await start_bot(settings_for())
    try:
        pod.say(ALICE, DESK, "/undo 1")
        assert "Re-added @Bob Member." in (await pod.next_message(DESK)).text
        pod.say(ALICE, DESK, "/kick @dave")
        await pod.next_message(DESK)
    finally:
        await second.stop()
    policy = {"commands": {"ib-remove": {"users": ["frank@example.com"]}}, "undo_window_minutes": 0}
    third = await start_bot(settings_for(policy=policy))
    try:
        pod.say(ALICE, DESK, "/undo 3")
        reply = (await pod.next_message(DESK)).text
        assert "Case 3 is past the undo window (0 minutes" in reply
        assert DAVE not in pod.room(DESK).members
    finally:
        await third.stop()


async def test_undo_reports_a_per_user_refusal(pod: SymphonyPod, desk: Room) -> None:
    await desk.say(FRANK, f"/ib-remove {GROUP} @bob @dave")
    pod.user(DAVE).active = False  # deactivated since: the pod refuses to re-add him
    reply = await desk.say(FRANK, "/undo")
    assert "undoing case 1: 1 done, 1 failed" in reply.text
    assert "Re-added @Bob Member to IB group" in reply.text
    assert f"Could not re-add @Dave External to IB group {GROUP}: the platform said" in reply.text
