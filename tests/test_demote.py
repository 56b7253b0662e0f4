from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, CAROL, Room, changes


async def test_owner_demotes_co_owner(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(ALICE, "/demote @carol")
    assert "Demoted @Carol Owner to member." in reply.text
    assert desk.members[CAROL] is False
    assert changes(pod) == ["POST /pod/v1/room/hJ4x-Kq_ZW9vbQ/membership/demoteOwner"]


async def test_last_owner_is_never_demoted(pod: SymphonyPod, solo: Room) -> None:
    reply = await solo.say(ALICE, "/demote @alice")
    assert "@Alice Owner is the last owner of this room and cannot be demoted" in reply.text
    assert solo.members[ALICE] is True
    assert changes(pod) == []


async def test_demoting_both_owners_keeps_one(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(ALICE, "/demote @alice @carol")
    assert "Demoted @Alice Owner to member." in reply.text
    assert "@Carol Owner is the last owner" in reply.text
    assert desk.members[CAROL] is True


async def test_not_an_owner(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(ALICE, "/demote @bob")
    assert "@Bob Member is not an owner of this room" in reply.text
    assert changes(pod) == []


async def test_member_may_not_demote(pod: SymphonyPod, desk: Room) -> None:
    reply = await desk.say(BOB, "/demote @carol")
    assert "You may not run /demote here" in reply.text
    assert changes(pod) == []
