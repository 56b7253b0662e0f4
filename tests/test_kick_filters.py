"""/kick --external and --all-except-owners: targets chosen from the room's member list, always
counted first and confirmed by the caller."""

from __future__ import annotations

from bot.app import App
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, BOB, BOT, CAROL, DAVE, DESK, FRANK, ConfigMaker, Room, changes
from tests.crowd import CROWD, add_crowd, crowded, mentions

ADMIN_LIST = r"/admin/stream/.*/membership/list"
"""The admin member list: the one that tells who is external."""


async def test_external_members_are_counted_first_then_removed(pod: SymphonyPod, bot: App) -> None:
    pod.users[DAVE].company = "Globex"
    room = Room(pod, DESK)
    plan = await room.say(ALICE, "/kick --external cross-company clean-up")
    assert plan.text.startswith(
        "@Alice Owner /kick · case 1: plan: 1 would be done. People chosen by a filter are"
        " always counted first, so nothing is done yet:"
    )
    assert "Would remove @Dave External — reason: cross-company clean-up" in plan.text
    assert "/confirm 1" in plan.text
    assert changes(pod) == []
    assert pod.calls("GET", ADMIN_LIST)  # read, and nothing else changed

    await room.say(ALICE, "/confirm 1")
    done = await pod.next_message(DESK)
    assert done.text.startswith("@Alice Owner /kick · case 1: 1 done")
    assert DAVE not in room.members
    assert {ALICE, CAROL, BOB, FRANK, BOT} <= set(room.members)


async def test_filters_combine_with_each_other_and_with_mentions(
    pod: SymphonyPod, bot: App
) -> None:
    crowd = add_crowd(pod, CROWD, 4)
    for uid in crowd[:2]:
        pod.users[uid].company = "Globex"
    pod.users[CAROL].company = "Globex"  # an external owner: spared by --all-except-owners
    room = Room(pod, CROWD)
    plan = await room.say(ALICE, f"/kick {mentions(crowd[3:])} --external --all-except-owners")
    assert "plan: 3 would be done." in plan.text
    for uid in (crowd[0], crowd[1], crowd[3]):
        assert f"Would remove @Member {uid}" in plan.text
    assert "Carol" not in plan.text


async def test_a_filter_that_matches_nobody_changes_nothing(pod: SymphonyPod, bot: App) -> None:
    reply = await Room(pod, DESK).say(ALICE, "/kick --external")
    assert "Nobody in this room matches --external. Nothing was changed." in reply.text
    assert changes(pod) == []


async def test_an_unentitled_caller_gets_no_member_lookup_and_no_change(
    pod: SymphonyPod, bot: App
) -> None:
    pod.users[DAVE].company = "Globex"
    reply = await Room(pod, DESK).say(BOB, "/kick --all-except-owners")
    assert "You may not run /kick here" in reply.text
    assert changes(pod) == []
    assert not pod.calls("GET", ADMIN_LIST)


async def test_without_the_admin_role_the_external_filter_is_refused_clearly(
    pod: SymphonyPod, bot: App
) -> None:
    pod.bot_roles.clear()
    reply = await Room(pod, DESK).say(ALICE, "/kick --external")
    assert "Could not check the room before acting, so nothing was changed" in reply.text
    assert "403" in reply.text
    assert changes(pod) == []


async def test_a_long_report_lists_problems_first_and_counts_the_rest(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    async with crowded(pod, settings_for(bulk={"confirm_above": 100}), 30) as (crowd, room):
        text = (await room.say(ALICE, f"/kick {mentions(crowd)} @bob")).text
    assert text.startswith("@Alice Owner /kick · case 1: 30 done, 1 refused")
    lines = text.splitlines()
    assert "Bob Member" in lines[1]  # problems first
    assert "not a member" in lines[1]
    assert text.count("Removed @Member") == 24
    assert lines[-1] == "… and 6 more (all of them: /case 1)."
    assert text.count("@") <= 40  # Symphony's mention limit per message


async def test_a_case_of_hundreds_lists_the_first_200(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    async with crowded(pod, settings_for(bulk={"confirm_above": 1000}), 205) as (crowd, room):
        pod.say(ALICE, CROWD, "/kick --all-except-owners")
        assert "/confirm 1" in (await pod.next_message(CROWD, timeout=30)).text
        await room.say(ALICE, "/confirm 1")
        done = await pod.next_message(CROWD, timeout=60)
        assert done.text.startswith("@Alice Owner /kick · case 1: 205 done")
        case = await room.say(ALICE, "/case 1")
    assert case.text.count("— done: Removed") == 200
    assert case.text.endswith("… and 5 more; every one is in the audit log (kickbot audit export).")
    assert not set(crowd) & set(room.members)
