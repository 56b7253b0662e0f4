"""Sentences that depend on numbers, and the plan's overflow and IB wording, end to end."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.replies.wording import duration
from bot.testing.symphony import SymphonyPod
from tests import conftest as s
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
    reply = await s.Room(pod, CROWD).say(s.ALICE, f"/kick {mentions(crowd)}")
    assert reply.text.count("Would remove @Member") == 25
    assert "… and 5 more (all of them: /case 1)." in reply.text


async def test_an_ib_plan_is_one_request(pod: SymphonyPod, bot: App) -> None:
    crowd = add_crowd(pod, CROWD, 6)
    for uid in crowd:
        pod.group(s.GROUP).members.add(uid)
    reply = await s.Room(pod, CROWD).say(s.FRANK, f"/ib-remove {s.GROUP} {mentions(crowd)}")
    assert "It is one request to the platform." in reply.text


async def test_a_demotion_cut_off_mid_call_is_confirmed_after_restart(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    demote = r"/membership/demoteOwner"
    release = await s.killed_mid_call(pod, settings_for(), "POST", demote, "/demote @carol")
    pod.room(s.DESK).set_member(s.CAROL, False)  # the pod had applied it
    release.set()
    again = await s.start_bot(settings_for())
    try:
        reply = (await pod.next_message(s.DESK)).text
        assert "Demoted @Carol Owner (the call was made before kickbot restarted" in reply
        assert len(pod.calls("POST", r"/membership/demoteOwner")) == 1
    finally:
        await again.stop()
