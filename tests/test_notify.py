from __future__ import annotations

from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, ConfigMaker
from tests.crowd import crowded, mentions


async def test_many_failed_notices_are_counted_after_ten(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    settings = settings_for(notify={"removed_users": True}, bulk={"confirm_above": 100})
    async with crowded(pod, settings, 12) as (crowd, room):
        pod.fail_next("POST", r"/pod/v1/im/create", 403, times=12)
        reply = (await room.say(ALICE, f"/kick {mentions(crowd)}")).text
    assert reply.startswith("@Alice Owner /kick · case 1: 12 done")
    assert reply.count("the removal notice: the platform refused (403)") == 10
    assert reply.endswith("… and 2 more notes like these.")
