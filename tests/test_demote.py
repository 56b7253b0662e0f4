from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, Room, changes


async def test_last_owner_is_never_demoted(pod: SymphonyPod, solo: Room) -> None:
    reply = await solo.say(ALICE, "/demote @alice")
    assert "@Alice Owner is the last owner of this room and cannot be demoted" in reply.text
    assert solo.members[ALICE] is True
    assert changes(pod) == []
