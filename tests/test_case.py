from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, DAVE, SOLO, Room


async def test_case_shows_what_happened(pod: SymphonyPod, desk: Room) -> None:
    first = await desk.say(ALICE, "/kick @bob spam, and more")
    assert "/kick · case 1: 1 done" in first.text
    reply = await desk.say(ALICE, "/case 1")
    assert "/case · case 2: case 1, " in reply.text
    assert "by Alice Owner (1001): /kick @Bob Member spam, and more" in reply.text
    assert "It ran; for each person:" in reply.text
    assert "Outcome" not in reply.text
    assert "• Bob Member — done: Removed @Bob Member — reason: spam, and more" in reply.text


async def test_case_refusals(pod: SymphonyPod, desk: Room) -> None:
    await desk.say(ALICE, "/help")
    assert "There is no case 99." in (await desk.say(ALICE, "/case 99")).text
    assert "“x1” is not a case number." in (await desk.say(ALICE, "/case x1")).text
    assert "You may not run /case here" in (await desk.say(DAVE, "/case 1")).text
    elsewhere = await Room(pod, SOLO).say(ALICE, "/case 1")
    assert "Case 1 happened in another room" in elsewhere.text
