"""A change whose answer is lost (a 500 sent after acting, a reset connection) is reported by
what the room shows, not by the error: the removal happened, the case says done, /undo re-adds.
Symphony: the BDK retries the call, and its retry meets "not a member"."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, CAROL, DESK, FRANK, GROUP, ConfigMaker, Room, running
from tests.kit import SPINE_POLICY

REMOVE = r"/membership/remove$"
ADD = r"/membership/add$"
PROMOTE = r"/membership/promoteOwner$"
LOST = {"500": {"status": 500}, "reset": {"status": 0, "reset": True}}


async def _results(bot: App, case: int) -> list[dict[str, object]]:
    assert bot.store is not None
    (row,) = await bot.store.audit(case=case)
    return row.results


@pytest.mark.parametrize("how", sorted(LOST))
async def test_the_bdk_sends_a_lost_removal_again_and_meets_not_a_member(
    pod: SymphonyPod, desk: Room, bot: App, how: str
) -> None:
    """Done and undone: tests/contract/test_lost_answers.py; here, what the BDK's retry met."""
    pod.fail_next("POST", REMOVE, after_effect=True, **LOST[how])  # type: ignore[arg-type]
    assert "1 done" in (await desk.say(ALICE, "/kick @bob")).text
    assert len(pod.calls("POST", REMOVE)) == 2
    (result,) = await _results(bot, 1)
    assert str(result["platform_response"]).startswith("answer lost (400 ")


async def test_an_undo_whose_answer_is_lost_is_done(pod: SymphonyPod, desk: Room) -> None:
    await desk.say(ALICE, "/kick @carol")
    # Adding and promoting again are no-ops on Symphony: the BDK's retry loses its answer too.
    pod.fail_next("POST", ADD, 500, times=2, after_effect=True)
    pod.fail_next("POST", PROMOTE, 0, times=2, after_effect=True, reset=True)
    undo = await desk.say(ALICE, "/undo")
    assert "Re-added @Carol Owner as owner." in undo.text
    assert "1 done" in undo.text
    assert desk.members[CAROL] is True
    assert len(pod.calls("POST", ADD)) == len(pod.calls("POST", PROMOTE)) == 2


IB_REMOVE = r"/group/[^/]+/membership/remove$"
IB_ADD = r"/group/[^/]+/membership/add$"
IB_LIST = r"/group/[^/]+/membership/list$"


def group_steps(results: list[dict[str, object]]) -> list[dict[str, object]]:
    """The results of a case's steps in an IB group (an offboarding's others are in rooms)."""
    return [r for r in results if "group" in str(r["platform_response"])]


OFFBOARD = {
    **SPINE_POLICY,
    "commands": {**SPINE_POLICY["commands"], "offboard": {"users": ["frank@example.com"]}},
}


@pytest.mark.parametrize("how", sorted(LOST))
@pytest.mark.parametrize(
    "line",
    [f"/ib-remove {GROUP} @bob", f"/offboard @bob --ib-group {GROUP}"],
    ids=["ib-remove", "offboard"],
)
async def test_an_ib_removal_and_its_undo_whose_answers_are_lost_are_done(
    pod: SymphonyPod, settings_for: ConfigMaker, line: str, how: str
) -> None:
    async with running(pod, settings_for(policy=OFFBOARD)) as bot:
        desk = Room(pod, DESK)
        pod.fail_next("POST", IB_REMOVE, after_effect=True, **LOST[how])  # type: ignore[arg-type]
        reply = await desk.say(FRANK, line)
        assert f"Removed @Bob Member from IB group {GROUP}" in reply.text, reply.text
        assert "failed" not in reply.text
        assert BOB not in pod.group(GROUP).members
        assert len(pod.calls("GET", IB_LIST)) == 1  # the group was looked at
        (result,) = group_steps(await _results(bot, 1))
        assert result["result"] == "done"
        assert str(result["platform_response"]).startswith("answer lost (")
        assert "looked: the group no longer lists them" in str(result["platform_response"])
        pod.fail_next("POST", IB_ADD, after_effect=True, **LOST[how])  # type: ignore[arg-type]
        undo = await desk.say(FRANK, "/undo")
        assert "Re-added @Bob Member to IB group" in undo.text, undo.text
        assert "failed" not in undo.text
        assert BOB in pod.group(GROUP).members
        (readd,) = group_steps(await _results(bot, 2))
        assert "looked: the group lists them" in str(readd["platform_response"])


async def test_an_ib_removal_that_failed_is_a_failure(pod: SymphonyPod, desk: Room) -> None:
    pod.fail_next("POST", IB_REMOVE, 500)  # refused before acting: the group still lists Bob
    reply = await desk.say(FRANK, f"/ib-remove {GROUP} @bob")
    assert "Removed" not in reply.text, reply.text
    assert BOB in pod.group(GROUP).members
    assert len(pod.calls("GET", IB_LIST)) == 1


async def test_an_ib_re_add_that_failed_can_be_undone_again(pod: SymphonyPod, desk: Room) -> None:
    await desk.say(FRANK, f"/ib-remove {GROUP} @bob")
    pod.fail_next("POST", IB_ADD, 0, reset=True)  # no answer, and the group shows no Bob
    first = await desk.say(FRANK, "/undo 1")
    assert "1 failed" in first.text, first.text
    assert BOB not in pod.group(GROUP).members
    second = await desk.say(FRANK, "/undo 1")
    assert "Re-added @Bob Member to IB group" in second.text, second.text
    assert BOB in pod.group(GROUP).members
