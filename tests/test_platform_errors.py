"""Platform failures become specific lines in the thread; nothing is silently lost."""

from __future__ import annotations

import pytest

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, DESK, FRANK, GROUP, ConfigMaker, Room, running

REMOVE = r"/pod/v1/room/.*/membership/remove"


@pytest.mark.parametrize(
    ("status", "times", "expected"),
    [
        (400, 1, "the platform refused (HTTP 400): "),
        (403, 1, "the platform refused (403), the bot lacks the right here"),
        (500, 5, "the platform failed (HTTP 500); it may not have changed. Try again."),
        (401, 5, "the bot's session was refused (401)"),
    ],
    ids=["400", "403", "500", "401"],
)
async def test_remove_failure_is_reported(
    pod: SymphonyPod, desk: Room, status: int, times: int, expected: str
) -> None:
    pod.fail_next("POST", REMOVE, status, times=times)
    reply = await desk.say(ALICE, "/kick @bob")
    assert "Could not remove @Bob Member: " + expected in reply.text
    assert "1 failed" in reply.text
    assert BOB in desk.members


async def test_a_passing_500_is_retried_by_the_sdk(pod: SymphonyPod, desk: Room) -> None:
    pod.fail_next("POST", REMOVE, 500, times=1)
    reply = await desk.say(ALICE, "/kick @bob")
    assert "Removed @Bob Member." in reply.text
    assert len(pod.calls("POST", REMOVE)) == 2


async def test_an_unexpected_bug_answers_with_the_case_number(pod: SymphonyPod, desk: Room) -> None:
    # A response the SDK cannot parse is nobody's expected failure: it must not pass silently.
    pod.fail_next("GET", r"/pod/v2/room/.*/membership/list", 200, body={"not": "a list"})
    reply = await desk.say(ALICE, "/kick @bob")
    assert "Something went wrong inside kickbot (case 1)" in reply.text
    assert "please report the case number" in reply.text
    assert pod.calls("POST", REMOVE) == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [(404, "not found (404): "), (429, "the platform is rate-limiting the bot (429)")],
    ids=["404", "429"],
)
async def test_more_remove_failures(
    pod: SymphonyPod, desk: Room, status: int, expected: str
) -> None:
    pod.fail_next("POST", REMOVE, status, times=5)
    reply = await desk.say(ALICE, "/kick @bob")
    assert "Could not remove @Bob Member: " + expected in reply.text


async def test_ib_group_failure_changes_nothing(pod: SymphonyPod, desk: Room) -> None:
    pod.fail_next("POST", r"/pod/v1/admin/group/.*/membership/remove", 500, times=5)
    reply = await desk.say(FRANK, f"/ib-remove {GROUP} @bob")
    assert f"Could not change IB group {GROUP}: the platform failed (HTTP 500)" in reply.text
    assert BOB in pod.group(GROUP).members


async def test_deny_list_refuses_everything(pod: SymphonyPod, settings_for: ConfigMaker) -> None:
    async with running(pod, settings_for(policy={"deny": ["alice@example.com"]})):
        pod.say(ALICE, DESK, "/kick @bob")
        reply = (await pod.next_message(DESK)).text
        assert "You are on this bot's deny list (policy.deny): you may not run /kick." in reply
        assert pod.calls("GET", r"/membership/list") == []
        assert pod.calls("POST", REMOVE) == []
