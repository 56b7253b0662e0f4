"""What the bot says after its first reply, the same on every platform (see
``test_contract.py``): a plan waiting for its caller's /confirm, then the report of the
confirmed command."""

from __future__ import annotations

import re

import pytest

from tests.contract.test_offboard import OFFBOARD
from tests.contract.worlds import OWN_OWNERS, World

CONFIRM_ALL = {"bulk": {"confirm_above": 0}}
"""Every change waits for a /confirm."""


@pytest.mark.parametrize(("policy", "options"), [(OFFBOARD, CONFIRM_ALL)], ids=["confirm-all"])
async def test_an_offboarding_above_the_limit_waits_for_its_callers_confirmation(
    world: World,
) -> None:
    if world.nook is not None:
        world.nook()  # the bot readied to list Bob's rooms
    plan = await world.play(
        "frank",
        "offboard @bob",
        "^{frank} {c}offboard · case 1: plan: ",
        " would be done",
        "That is more than the 0 changes this bot makes without a confirmation",
        f"Would remove {{bob}} from “{world.room_name}”.",
        "{c}confirm 1",
    )
    # How long it takes: at the platform's published limit, where it has one (Slack...), else
    # at one request per room (the platform's own pace).
    if "published limit" not in plan:
        assert " requests to the platform, one per room or group, so it will take seconds" in plan
    waiting = ": waiting for its caller's {c}confirm"
    await world.play("alice", "jobs", "• case 1 {c}offboard by ", waiting)
    await world.play("carol", "confirm 1", "Only ", ", who asked for case 1, can confirm it.")
    assert "Confirmed case 1" in await world.say("frank", world.line("confirm", rest="1"))
    summary = await world.next_said()
    assert summary.startswith(
        world.fill("{frank} {c}offboard · case 1: offboarding {bob} from ")
    ), summary
    assert world.fill(f"Removed {{bob}} from “{world.room_name}”.") in summary
    assert " done" in summary
    assert "bob" not in world.members()


HALFWAY = {"bulk": {"progress_every_percent": 50, "progress_every_seconds": 0}}
"""A progress report once half the steps are handled."""


@pytest.mark.parametrize(("policy", "options"), [(OFFBOARD, HALFWAY)], ids=["report-halfway"])
async def test_an_offboardings_progress_is_counted_in_rooms(world: World) -> None:
    if world.nook is not None:
        world.nook()
    first = await world.say("frank", world.line("offboard", "bob"))
    start = world.fill("{frank} {c}offboard · case 1: ")
    progress = re.fullmatch(
        re.escape(start) + r"in progress, (\d+) of (\d+) handled \((\d+) %\): (.*)\.", first
    )
    assert progress is not None, first
    handled, steps, percent = map(int, progress.groups()[:3])
    assert handled < steps
    assert percent == 100 * handled // steps >= 50
    summary = await world.next_said()
    assert summary.startswith(start + world.fill(f"offboarding {{bob}} from {steps} rooms: "))
    assert "bob" not in world.members()


@pytest.mark.parametrize("options", [{"bulk": {"confirm_above": 3}}], ids=["confirm-above-3"])
async def test_all_except_owners_spares_owners_the_bot_and_the_caller(world: World) -> None:
    if world.platform == "matrix":
        pytest.skip("matrix: the watcher reading the bot's replies is a plain member of #desk")
    before = world.members()
    plan = await world.play(
        "alice",
        "kick --all-except-owners",
        "^{alice} {c}kick · case 1: plan: ",
        "That is more than the 3 changes",
        "{c}confirm 1",
    )
    assert "Confirmed case 1" in await world.say("alice", world.line("confirm", rest="1"))
    done = await world.next_said()
    gone = before - world.members()
    own = {p for kind in OWN_OWNERS.get(world.platform.split("-")[0], {}).values() for p in kind}
    assert {"bob", "dave", "mia"} - own <= gone
    assert not gone & own, f"owners by the platform's own sources removed: {gone & own}"
    assert {"alice", "carol", "kickbot"} <= world.members()
    assert f"plan: {len(gone)} would be done" in plan
    assert plan.count("Would remove ") == len(gone)
    assert done.startswith(world.fill(f"{{alice}} {{c}}kick · case 1: {len(gone)} done")), done
