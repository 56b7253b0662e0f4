"""/offboard on the Symphony double, end to end: one person out of every room the bot can act in
(the admin list of the user's streams), and out of IB groups. What every platform shares is in the
contract table (tests/contract/test_offboard.py, test_offboard_cells.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import App
from bot.dispatch import Dispatcher
from bot.pacing import JITTER_MARGIN
from bot.platforms.symphony.adapter import SymphonyPlatform
from bot.settings import Settings
from bot.store import Store
from bot.testing.symphony import SymphonyPod
from bot.testing.symphony.state import SimMessage
from tests import conftest as s
from tests.crowd import JUMBO, add_crowd
from tests.test_pacing import FakeClock

CORNER = "Qm9icy1Db3JuZXItMDAx"  # Bob is its only owner
OLD = "T2xkLURlc2stMDAwMDE"  # deactivated
CORNER_NAME = "Bob's <b>Corner</b>"
LEAVING = "leaving the firm"
STREAMS = r"/pod/v1/admin/user/\d+/streams/list"
REMOVE = r"/pod/v1/room/[^/]+/membership/remove"

POLICY: dict[str, Any] = {
    "commands": {
        "offboard": {"users": ["frank@example.com"]},
        "undo": {"room_owners": True, "users": ["frank@example.com"]},
        "case": {"room_owners": True, "users": ["frank@example.com"]},
    },
}


def bobs_world(pod: SymphonyPod) -> list[int]:
    """Bob, besides the desk and Solo: the only owner of a room, a member of a deactivated
    room and of a jumbo room (1,005 members). Returns the jumbo room's crowd."""
    pod.add_room(CORNER, CORNER_NAME, owners=[s.BOB], members=[s.BOT, s.ALICE])
    pod.add_room(OLD, "Old Desk", owners=[s.ALICE], members=[s.BOT, s.BOB], active=False)
    crowd = add_crowd(pod, JUMBO, 1001, name="Jumbo")
    pod.room(JUMBO).set_member(s.BOB, owner=False)
    return crowd


def removals(pod: SymphonyPod) -> list[tuple[str, int]]:
    """(room, user id) of every removal the pod received, in order."""
    return [(r.path.split("/")[4], r.body["id"]) for r in pod.calls("POST", REMOVE)]


async def said(pod: SymphonyPod, line: str, caller: int = s.FRANK) -> SimMessage:
    """``line`` said in the desk, by Frank unless ``caller``: the bot's reply."""
    return await s.Room(pod, s.DESK).say(caller, line)


async def start_on_clock(settings: Settings, clock: FakeClock) -> App:
    """The bot as ``App.start`` builds it, but its dispatcher paces on ``clock``."""
    assert settings.symphony is not None
    app = App(settings, {"symphony": SymphonyPlatform(settings.symphony)})
    app.store = await Store.open(settings.store)
    app.dispatcher = Dispatcher(
        app.store,
        app.registry,
        settings.policy,
        bulk=settings.bulk,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    )
    for platform in app.platforms.values():
        app.dispatcher.attach(platform)
        await platform.start(app.dispatcher.submit)
    await app.dispatcher.resume()
    return app


@pytest.fixture
async def offboarding(pod: SymphonyPod, settings_for: s.ConfigMaker) -> AsyncIterator[App]:
    bobs_world(pod)
    app = await s.start_bot(settings_for(policy=POLICY))
    await pod.wait_until_listening()
    yield app
    await app.stop()


async def test_offboarding_end_to_end_then_undo(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    crowd = bobs_world(pod)
    clock = FakeClock()
    app = await start_on_clock(settings_for(policy=POLICY), clock)
    try:
        await pod.wait_until_listening()
        desk, jumbo = s.Room(pod, s.DESK), s.Room(pod, JUMBO)
        # A change in the jumbo room just before: its pace holds the offboarding's removal there.
        assert "/confirm 1" in (await jumbo.say(s.ALICE, f"/kick @m{crowd[0]}")).text
        await jumbo.say(s.ALICE, "/confirm 1")
        assert "1 done" in (await pod.next_message(JUMBO)).text
        assert clock.slept == []

        reply = await desk.say(s.FRANK, f"/offboard @bob {LEAVING} --ib-group {s.GROUP}")
        text = reply.text
        assert text.startswith(
            "@Frank Compliance /offboard · case 3: offboarding @Bob Member from 5 rooms and"
            " 1 IB group: 4 done, 2 refused."
        ), text
        for name in ("Trading Desk", "Solo", "Jumbo"):
            assert f"Removed @Bob Member from “{name}” — reason: {LEAVING}" in text
        assert (
            f"Refused in “{CORNER_NAME}”: @Bob Member is its last owner and removing them would"
            " leave the room ownerless. Make someone else an owner there first." in text
        )
        assert "Skipped “Old Desk”: the room is deactivated, so its membership is locked." in text
        assert f"Removed @Bob Member from IB group {s.GROUP}." in text
        assert "&lt;b&gt;Corner&lt;/b&gt;" in reply.messageml  # a room name is user text

        paced = pytest.approx(3.0 * (1 + JITTER_MARGIN))  # the pace and the jitter margin
        assert clock.slept == [paced]  # the jumbo room's removal kept its pace; no other waited
        for room in (s.DESK, s.SOLO, JUMBO):
            assert s.BOB not in pod.room(room).members
        assert pod.room(CORNER).members[s.BOB] is True
        assert s.BOB in pod.room(OLD).members
        assert s.BOB not in pod.group(s.GROUP).members
        assert sorted(removals(pod)[1:]) == sorted(
            (pod.room(r).stream_id, s.BOB) for r in (s.DESK, s.SOLO, JUMBO)
        )

        case = await desk.say(s.FRANK, "/case 3")  # one entry per room and group
        assert case.text.count("• Bob Member — done: Removed @Bob Member from") == 4

        undo = await desk.say(s.FRANK, "/undo")
        assert undo.text.startswith("@Frank Compliance /undo · case 5: undoing case 3: 4 done")
        for name in ("Trading Desk", "Solo", "Jumbo"):
            assert f"Re-added @Bob Member to “{name}”." in undo.text
        assert f"Re-added @Bob Member to IB group {s.GROUP}" in undo.text
        for room in (s.DESK, s.SOLO, JUMBO):
            assert pod.room(room).members[s.BOB] is False
        assert s.BOB in pod.group(s.GROUP).members
        assert clock.slept == [paced, paced]  # the re-add in the jumbo room waited for its pace too
    finally:
        await app.stop()


async def test_a_dry_run_shows_each_room_and_changes_nothing(
    pod: SymphonyPod, offboarding: App
) -> None:
    """The rooms come page by page (two a page here)."""
    platform = offboarding.platforms["symphony"]
    assert isinstance(platform, SymphonyPlatform)
    platform.rooms_page_size = 2
    text = (await said(pod, f"/offboard @bob --dry-run --ib-group={s.GROUP}")).text
    assert text.startswith(
        "@Frank Compliance /offboard · case 1: dry run, nothing was changed: 4 would be done,"
        " 2 refused"
    ), text
    assert "Would remove @Bob Member from “Trading Desk”." in text
    assert "Would remove @Bob Member from “Solo”." in text
    assert (
        "Would remove @Bob Member from “Jumbo” (a large room: 1,005 members, one change every"
        " 3 s)." in text
    )
    assert "Would refuse: Skipped “Old Desk”" in text
    assert f"Would refuse: Refused in “{CORNER_NAME}”" in text
    assert f"Would ask the platform to remove @Bob Member from IB group {s.GROUP}." in text
    assert s.changes(pod) == []
    pages = [(r.query.get("skip"), r.query.get("limit")) for r in pod.calls("POST", STREAMS)]
    assert pages[:3] == [("0", "2"), ("2", "2"), ("4", "2")]


async def test_a_caller_the_policy_does_not_name_lists_no_rooms(
    pod: SymphonyPod, offboarding: App
) -> None:
    """The refusal: tests/contract/test_offboard.py; here, not even a room list was asked for."""
    assert "You may not run /offboard" in (await said(pod, "/offboard @bob", s.ALICE)).text
    assert pod.calls("POST", STREAMS) == []


async def test_without_the_admin_role_it_says_so_and_changes_nothing(
    pod: SymphonyPod, offboarding: App
) -> None:
    pod.bot_roles.discard("USER_PROVISIONING")
    assert (
        "Could not list the rooms of @Bob Member, so nothing was changed: the platform refused"
        " (403), the bot lacks the right here" in (await said(pod, "/offboard @bob")).text
    )
    assert s.changes(pod) == []


async def test_one_room_refusing_is_a_failed_line(pod: SymphonyPod, offboarding: App) -> None:
    solo = pod.room(s.SOLO).stream_id
    pod.fail_next("POST", rf"/room/{solo}/membership/remove", 403)
    text = (await said(pod, "/offboard @bob --ib-group nosuchgroup")).text
    assert "2 done, 2 refused, 2 failed" in text, text
    assert "Failed in IB group nosuchgroup: could not remove @Bob Member:" in text
    assert "Failed in “Solo”: could not remove @Bob Member: the platform refused (403)" in text
    assert s.BOB in pod.room(s.SOLO).members
    assert s.BOB not in pod.room(s.DESK).members


async def test_a_job_cut_off_mid_way_resumes_without_acting_twice(
    pod: SymphonyPod, settings_for: s.ConfigMaker
) -> None:
    bobs_world(pod)
    first = await s.start_bot(settings_for(policy=POLICY))
    await pod.wait_until_listening()
    held = pod.hold_next("POST", rf"/room/{JUMBO}/membership/remove")
    pod.say(s.FRANK, s.DESK, "/offboard @bob")
    await pod.wait_for_calls("POST", rf"/room/{JUMBO}/membership/remove")
    before = removals(pod)  # the jumbo room is Bob's newest: the others came first
    await s.kill(first)  # while that removal is in flight
    pod.room(JUMBO).drop_member(s.BOB)  # the pod had applied it; the bot never heard
    held.set()

    second = await s.start_bot(settings_for(policy=POLICY))
    try:
        summary = await pod.next_message(s.DESK, timeout=20)
    finally:
        await second.stop()
    text = summary.text
    assert text.startswith(
        "@Frank Compliance /offboard · case 1: offboarding @Bob Member from 5 rooms: 3 done,"
        " 2 refused."
    ), text
    assert (
        "Removed @Bob Member from “Jumbo” (the call was cut off by a restart; the member list"
        " confirms it)." in text
    )
    for name in ("Trading Desk", "Solo"):  # settled before the cut: no longer Bob's rooms
        assert f"Removed @Bob Member from “{name}”." in text
    rooms = [room for room, _ in removals(pod)]
    assert len(rooms) == len(set(rooms)) == 3  # each room asked exactly once
    assert sorted(before[:2]) == sorted((pod.room(r).stream_id, s.BOB) for r in (s.DESK, s.SOLO))


async def test_a_cancel_stops_it_between_rooms(pod: SymphonyPod, offboarding: App) -> None:
    held = pod.hold_next("POST", rf"/room/{JUMBO}/membership/remove")  # Bob's newest room
    pod.say(s.FRANK, s.DESK, f"/offboard @bob --ib-group {s.GROUP}")
    await pod.wait_for_calls("POST", rf"/room/{JUMBO}/membership/remove")
    assert "Case 1 stops after the change in hand" in (await said(pod, "/cancel 1")).text
    held.set()
    summary = await pod.next_message(s.DESK, timeout=20)
    assert summary.text.startswith(
        "@Frank Compliance /offboard · case 1: offboarding @Bob Member: cancelled after 5 of 6"
        " rooms and groups: 3 done, 2 refused. The rest was not touched."
    ), summary.text
    assert s.BOB not in pod.room(JUMBO).members
    assert s.BOB in pod.group(s.GROUP).members  # the group came after the cancel
    assert pod.calls("POST", rf"/admin/group/{s.GROUP}/membership/remove") == []


async def test_a_room_the_person_left_meanwhile_is_skipped(
    pod: SymphonyPod, offboarding: App
) -> None:
    solo = pod.room(s.SOLO).stream_id
    held = pod.hold_next("GET", rf"/room/{solo}/membership/list")
    pod.say(s.FRANK, s.DESK, "/offboard @bob --dry-run")
    await pod.wait_for_calls("GET", rf"/room/{solo}/membership/list", 1, timeout=20)
    pod.room(s.SOLO).drop_member(s.BOB)  # Bob leaves Solo between the room list and its members
    held.set()
    reply = await pod.next_message(s.DESK, timeout=20)
    assert "Skipped “Solo”: @Bob Member is no longer a member." in reply.text
    assert s.changes(pod) == []
