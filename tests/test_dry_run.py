"""--dry-run on /kick, /demote and /ib-remove: every check runs, no state-changing call is made."""

from __future__ import annotations

import pytest

from bot.testing.symphony import SymphonyPod
from tests import conftest as s
from tests.crowd import CROWD, add_crowd, mentions


def no_change_calls(pod: SymphonyPod) -> bool:
    """Not one POST that changes a room or an IB group reached the pod."""
    return (
        s.changes(pod) == [] and pod.calls("POST", r"/membership/(remove|add|demote|promote)") == []
    )


async def test_dry_run_kick_answers_per_target_and_changes_nothing(
    pod: SymphonyPod, desk: s.Room
) -> None:
    before = desk.members
    reply = await desk.say(s.ALICE, "/kick @bob @carol --dry-run")
    assert reply.text.startswith(
        "@Alice Owner /kick · case 1: dry run, nothing was changed: 2 would be done"
    )
    assert "Would remove @Bob Member." in reply.text
    assert "Would remove @Carol Owner." in reply.text
    assert desk.members == before
    assert no_change_calls(pod)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("/kick --dry-run @bob spam the desk", ["Would remove @Bob", "— reason: spam the desk"]),
        # As a phone's autocorrect writes it, at the end of the reason.
        ("/kick @dave off topic \u2014dry-run", ["Would remove @Dave", "— reason: off topic"]),
        (
            "/kick @bob --dryrun",
            [
                "Unknown option “--dryrun”.",
                "Options: --dry-run, --external, --all-except-owners, --at.",
                "Usage: /kick @user [@user …] [reason…] [--dry-run]",
            ],
        ),
        ("/undo --dry-run", ["Unknown option “--dry-run”.", "This command takes no options."]),
    ],
    ids=["anywhere", "autocorrected", "mistyped", "not-an-option-there"],
)  # fmt: skip
async def test_the_flag_is_read_wherever_it_stands_and_never_as_a_reason(
    pod: SymphonyPod, desk: s.Room, line: str, said: list[str]
) -> None:
    """A mistyped option is refused, never read as a reason (nor a flag where it is none)."""
    text = (await desk.say(s.ALICE, line)).text
    for expected in said:
        assert expected in text
    assert "dry-run" not in text.partition("reason: ")[2]
    assert {s.BOB, s.DAVE} <= set(desk.members)
    assert no_change_calls(pod)


async def test_dry_run_runs_every_check(pod: SymphonyPod, settings_for: s.ConfigMaker) -> None:
    policy = {
        "commands": {"ib-remove": {"users": ["frank@example.com"]}},
        "ranks": [{"name": "moderator", "users": ["dave@globex.example"]}],
    }
    async with s.running(pod, settings_for(policy=policy)):
        pod.say(
            s.ALICE,
            s.DESK,
            "/kick @bob @carol @dave @frank erin@example.com nobody@example.com --dry-run",
        )
        text = (await pod.next_message(s.DESK)).text
    assert "dry run, nothing was changed: 1 would be done, 5 refused" in text
    assert "Would remove @Bob Member." in text
    assert "Would refuse: @Carol Owner has the same rank as you (room owner)" in text
    assert "Would refuse: @Dave External outranks you (moderator above room owner)" in text
    assert "Would refuse: @Frank Compliance is protected" in text
    assert "Would refuse: @Erin Departed is not a member of this room" in text
    assert "Would refuse: No user has the e-mail address nobody@example.com" in text
    assert no_change_calls(pod)


async def test_an_unentitled_dry_run_is_refused(pod: SymphonyPod, desk: s.Room) -> None:
    reply = await desk.say(s.BOB, "/kick @dave --dry-run")
    assert "You may not run /kick here" in reply.text
    assert "Would" not in reply.text
    assert no_change_calls(pod)


async def test_dry_run_demote_sees_the_last_owner(pod: SymphonyPod, desk: s.Room) -> None:
    """The rehearsal sees the room as it would be: with Carol demoted, Alice (stepping down
    herself) is the last owner. (Nobody may kick themselves, so /demote shows it.)"""
    reply = await desk.say(s.ALICE, "/demote @carol @alice --dry-run")
    assert "dry run, nothing was changed: 1 would be done, 1 refused" in reply.text
    assert "Would demote @Carol Owner to member." in reply.text
    assert "Would refuse: @Alice Owner is the last owner of this room" in reply.text
    assert desk.members[s.CAROL] is True
    assert no_change_calls(pod)


async def test_dry_run_ib_remove(pod: SymphonyPod, desk: s.Room) -> None:
    reply = await desk.say(s.FRANK, f"/ib-remove {s.GROUP} @bob erin@example.com --dry-run")
    assert "dry run, nothing was changed: 1 would be done, 1 refused" in reply.text
    assert f"Would ask the platform to remove @Bob Member from IB group {s.GROUP}." in reply.text
    assert "Would refuse: @Erin Departed's account is deactivated" in reply.text
    assert s.BOB in pod.group(s.GROUP).members
    assert pod.calls("POST", r"/admin/group/") == []
    assert no_change_calls(pod)


async def test_usage_and_help_show_the_option(pod: SymphonyPod, desk: s.Room) -> None:
    reply = await desk.say(s.ALICE, "/demote")
    assert "Usage: /demote @user [@user …] [--dry-run]" in reply.text
    reply = await desk.say(s.ALICE, "/help")
    assert (
        "/kick @user [@user …] [reason…] [--dry-run] [--external] [--all-except-owners]"
        " [--at <time>] — remove" in reply.text
    )
    assert "/confirm <case> — go ahead with a plan of yours" in reply.text


async def test_a_dry_run_is_recorded_but_never_undone(pod: SymphonyPod, desk: s.Room) -> None:
    await desk.say(s.ALICE, "/kick @bob --dry-run")
    case = await desk.say(s.ALICE, "/case 1")
    assert "It was a dry run; nothing was changed." in case.text
    assert "Bob Member — planned: Would remove @Bob Member." in case.text
    undo = await desk.say(s.ALICE, "/undo")
    assert "You have no case in this room that can still be undone" in undo.text
    assert no_change_calls(pod)


async def test_a_large_dry_run_just_plans(pod: SymphonyPod, bot: object) -> None:
    crowd = add_crowd(pod, CROWD, 8)
    room = s.Room(pod, CROWD)
    reply = await room.say(s.ALICE, f"/kick {mentions(crowd)} --dry-run")
    assert "dry run, nothing was changed: 8 would be done" in reply.text
    assert "/confirm" not in reply.text
    assert set(crowd) <= set(room.members)
    assert no_change_calls(pod)
