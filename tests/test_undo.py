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


async def test_undo_after_a_restart(pod: SymphonyPod, settings_for: s.ConfigMaker) -> None:
    """A new process with the same store: the case is still there and still undoable (past the
    undo window: the contract table's ``test_a_case_past_the_undo_window_is_not_undone``)."""
    async with s.running(pod, settings_for()):
        assert "Removed @Bob Member." in (await s.Room(pod, s.DESK).say(s.ALICE, "/kick @bob")).text
    async with s.running(pod, settings_for()):
        assert "Re-added @Bob Member." in (await s.Room(pod, s.DESK).say(s.ALICE, "/undo 1")).text
    assert s.BOB in pod.room(s.DESK).members


async def test_undo_reports_a_per_user_refusal(pod: SymphonyPod, desk: s.Room) -> None:
    await desk.say(s.FRANK, f"/ib-remove {s.GROUP} @bob @dave")
    pod.user(s.DAVE).active = False  # deactivated since: the pod refuses to re-add him
    reply = await desk.say(s.FRANK, "/undo")
    assert "undoing case 1: 1 done, 1 failed" in reply.text
    assert "Re-added @Bob Member to IB group" in reply.text
    assert f"Could not re-add @Dave External to IB group {s.GROUP}: the platform said" in reply.text
