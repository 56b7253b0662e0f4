"""Platform failures become specific lines in the thread; nothing is silently lost."""

from __future__ import annotations

import pytest

from bot.testing import SymphonyPod
from tests.conftest import ALICE, BOB, Room

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


async def test_failed_membership_lookup_changes_nothing(pod: SymphonyPod, desk: Room) -> None:
    pod.fail_next("GET", r"/pod/v2/room/.*/membership/list", 403, times=5)
    reply = await desk.say(ALICE, "/kick @bob")
    assert "Could not check the room before acting, so nothing was changed" in reply.text
    assert pod.calls("POST", REMOVE) == []
