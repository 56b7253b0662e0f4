"""Sentences that depend on numbers, and the plan's overflow and IB wording, end to end."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.replies.wording import duration
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, CAROL, DESK, FRANK, GROUP, ConfigMaker, Room, start_bot
from tests.crowd import CROWD, add_crowd, mentions


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "less than a second"), (42, "42 s"), (120, "2 min"), (125, "2 min 5 s"),
     (7260, "2 h 1 min")],
    ids=["sub-second", "seconds", "minutes", "minutes-seconds", "hours"],
)  # fmt: skip
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


async def test_a_long_plan_lists_25_and_counts_the_rest(pod: SymphonyPod, bot: App) -> None:
    crowd = add_crowd(pod, CROWD, 30)
    reply = await Room(pod, CROWD).say(ALICE, f"/kick {mentions(crowd)}")
    assert reply.text.count("Would remove @Member") == 25
    assert "… and 5 more (all of them: /case 1)." in reply.text


async def test_an_ib_plan_is_one_request(pod: SymphonyPod, bot: App) -> None:
    crowd = add_crowd(pod, CROWD, 6)
    for uid in crowd:
        pod.group(GROUP).members.add(uid)
    reply = await Room(pod, CROWD).say(FRANK, f"/ib-remove {GROUP} {mentions(crowd)}")
    assert "It is one request to the platform." in reply.text


async def test_a_demotion_cut_off_mid_call_is_confirmed_after_restart(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    app = await start_bot(settings_for())
    await pod.wait_until_listening()
    release = pod.hold_next("POST", r"/membership/demoteOwner")
    pod.say(ALICE, DESK, "/demote @carol")
    await pod.wait_for_calls("POST", r"/membership/demoteOwner", 1)
    assert app.dispatcher is not None
    await app.dispatcher.cancel()  # the process dies with the call in flight
    await app.stop(grace_seconds=0)
    pod.room(DESK).set_member(CAROL, False)  # the pod had applied it
    release.set()
    again = await start_bot(settings_for())
    try:
        reply = (await pod.next_message(DESK)).text
        assert "Demoted @Carol Owner (the call was made before kickbot restarted" in reply
        assert len(pod.calls("POST", r"/membership/demoteOwner")) == 1
    finally:
        await again.stop()
