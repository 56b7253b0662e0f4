"""An undo step that failed with its change known not to be in place gives its claim up, so a
later /undo of the same case tries it again; a step whose outcome is unknown, or that is done,
keeps its claim (at most one undo re-adds). A /cancel, through this instance or another, stops an
undo before its next change, and gives up the claims of the changes it did not make. A re-add
refused outright: the contract table's ``test_a_refused_re_add_can_be_undone_again``."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import App
from bot.pipeline.run import CANCEL_POLL_SECONDS
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DAVE, DESK, ConfigMaker, Room
from tests.stores import opened

ADD = r"/membership/add$"


async def test_a_failed_re_add_the_room_shows_not_made_can_be_undone_again(
    pod: SymphonyPod, desk: Room
) -> None:
    await desk.say(ALICE, "/kick @bob")
    # A server error, each time (the BDK tries again): the room is looked at, Bob is not back.
    pod.fail_next("POST", ADD, 500, times=10)
    first = await desk.say(ALICE, "/undo")
    assert "1 failed" in first.text, first.text
    assert "it may not have changed" in first.text
    assert BOB not in desk.members
    pod.knobs.planned.clear()
    second = await desk.say(ALICE, "/undo")  # the case is again the caller's last to undo
    assert "undoing case 1" in second.text, second.text
    assert "Re-added @Bob Member." in second.text
    assert desk.members[BOB] is False


async def test_a_re_add_whose_outcome_is_unknown_keeps_its_claim(
    pod: SymphonyPod, desk: Room, bot: App
) -> None:
    await desk.say(ALICE, "/kick @bob")
    # A server error, and the room cannot be read to see whether Bob is back: unknown.
    pod.fail_next("POST", ADD, 500, times=10)
    release = pod.hold_next("POST", ADD)
    pod.say(ALICE, DESK, "/undo 1")
    await pod.wait_for_calls("POST", ADD, 1)
    pod.fail_next("GET", r"/membership/list$", 500, times=50)  # from the re-add on
    release.set()
    first = await pod.next_message(DESK)
    assert "1 failed" in first.text, first.text
    pod.knobs.planned.clear()
    assert bot.store is not None
    assert await bot.store.undo_claims(1) == {str(BOB): 2}  # not given up: it may have acted
    again = await desk.say(ALICE, "/undo 1")
    assert "Case 1 was already undone by case 2." in again.text
    assert BOB not in desk.members


@pytest.mark.parametrize("through", ["this instance", "another instance"])
async def test_a_cancel_stops_an_undo_before_its_next_change(
    pod: SymphonyPod, desk: Room, bot: App, settings_for: ConfigMaker, through: str
) -> None:
    await desk.say(ALICE, "/kick @bob @dave")
    held = pod.hold_next("POST", ADD)
    pod.say(ALICE, DESK, "/undo 1")
    await pod.wait_for_calls("POST", ADD, 1)
    if through == "this instance":
        said = (await desk.say(ALICE, "/cancel 2")).text
        assert "Case 2 stops after the change in hand" in said
    else:  # put in the store, where the undo looks for it (at most once a period)
        async with opened(settings_for().store) as store:
            assert await store.request_cancel(2, 1, "cancelled") == "stopping"
        await asyncio.sleep(CANCEL_POLL_SECONDS)
    held.set()
    stopped = await pod.next_message(DESK)
    assert (
        "undoing case 1: cancelled after 1 of 2 changes: 1 done."
        " The rest was not undone: /undo 1 can still reverse it." in stopped.text
    ), stopped.text
    assert desk.members[BOB] is False
    assert DAVE not in desk.members
    assert bot.store is not None
    assert await bot.store.undo_claims(1) == {str(BOB): 2}  # Dave's given up: not made
    again = await desk.say(ALICE, "/undo 1")
    assert "Re-added @Dave External." in again.text, again.text
    assert "Already undone for @Bob Member by case 2" in again.text
    assert len(pod.calls("POST", ADD)) == 2
