"""Jumbo-room pacing: the pacer on a clock the test drives, then end to end on the double."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.app import App
from bot.pacing import Pacer, RoomPacing, paced_seconds
from bot.testing.symphony import SymphonyPod
from tests.conftest import ALICE, ConfigMaker, Room, running, start_bot
from tests.crowd import JUMBO, add_crowd, mentions


class FakeClock:
    """``monotonic`` and ``sleep`` for the pacer: sleeping moves the clock, nothing waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)  # let other waiters run, as a real sleep would


async def test_first_call_is_free_then_one_per_interval() -> None:
    clock = FakeClock()
    pacer = Pacer(3.0, margin=0.0, sleep=clock.sleep, monotonic=clock.monotonic)
    starts = []
    for _ in range(4):
        await pacer.wait()
        starts.append(clock.now)
    assert starts == [0.0, 3.0, 6.0, 9.0]
    assert clock.slept == [3.0, 3.0, 3.0]


async def test_time_already_spent_counts() -> None:
    clock = FakeClock()
    pacer = Pacer(3.0, margin=0.0, sleep=clock.sleep, monotonic=clock.monotonic)
    await pacer.wait()
    clock.now += 2.0  # the call itself took 2 s
    await pacer.wait()
    assert clock.slept == [pytest.approx(1.0)]
    clock.now += 10.0  # idle: no debt, no credit either
    await pacer.wait()
    await pacer.wait()
    assert clock.slept == [pytest.approx(1.0), pytest.approx(3.0)]


async def test_a_retried_call_pushes_the_next_one_a_whole_interval_past_its_last_try() -> None:
    clock = FakeClock()
    pacer = Pacer(3.0, margin=0.0, sleep=clock.sleep, monotonic=clock.monotonic)
    starts = []
    for took in (0.05, 0.05, 2.05, 0.05):  # the third was refused (429) and retried 2 s later
        await pacer.wait()
        starts.append(clock.now)
        clock.now += took
        pacer.done()
    # its last try left at about 6.0 + 2.05 - 0.05 = 8.0; the next one a whole 3 s after that
    assert starts == [0.0, 3.0, 6.0, pytest.approx(11.0)]
    await pacer.wait()
    assert clock.now == pytest.approx(14.0)  # ordinary calls: the ordinary pace again


async def test_concurrent_waiters_are_spaced_in_arrival_order() -> None:
    clock = FakeClock()
    pacer = Pacer(3.0, margin=0.0, sleep=clock.sleep, monotonic=clock.monotonic)
    starts: dict[str, float] = {}

    async def call(name: str) -> None:
        await pacer.wait()
        starts[name] = clock.now

    await asyncio.gather(*(call(n) for n in "abcd"))
    assert starts == {"a": 0.0, "b": 3.0, "c": 6.0, "d": 9.0}


async def test_rooms_are_paced_apart_and_only_when_jumbo() -> None:
    clock = FakeClock()
    pacing = RoomPacing(1000, 3.0, margin=0.0, sleep=clock.sleep, monotonic=clock.monotonic)
    assert pacing.interval_for(1000) == 0.0
    assert pacing.interval_for(1001) == 3.0
    assert paced_seconds(10, pacing.interval_for(1001)) == 27.0
    assert paced_seconds(10, pacing.interval_for(12)) == 0.0
    interval = pacing.interval_for(1001)
    await pacing.wait("symphony", "a", interval)
    await pacing.wait("symphony", "b", interval)  # another room: its own pace
    assert clock.slept == []
    await pacing.wait("symphony", "a", interval)
    assert clock.slept == [3.0]
    await pacing.wait("symphony", "c", 0.0)  # not a jumbo room
    assert clock.slept == [3.0]


async def test_calls_are_spaced_a_little_more_than_the_interval() -> None:
    # The platform counts arrivals: a late request followed by one on time must not look early.
    clock = FakeClock()
    pacer = Pacer(3.0, sleep=clock.sleep, monotonic=clock.monotonic)
    starts = []
    for _ in range(3):
        await pacer.wait()
        starts.append(clock.now)
    assert starts == [0.0, pytest.approx(3.03), pytest.approx(6.06)]
    assert pacer.interval == 3.0


def test_a_negative_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval"):
        Pacer(-1.0)


INTERVAL = 0.05


def assert_paced(times: list[float]) -> None:
    """Arrival times at the double: on average one interval apart; each gap near it (the
    requests' own latency varies a little). Unpaced, these calls come ~5 ms apart."""
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert sum(gaps) / len(gaps) >= INTERVAL * 0.95, gaps
    assert min(gaps) >= INTERVAL * 0.6, gaps


async def test_jumbo_room_removals_are_spaced_on_the_double(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    crowd = add_crowd(pod, JUMBO, 1001, name="Jumbo")
    app = await start_bot(
        settings_for(bulk={"jumbo_interval_seconds": INTERVAL, "confirm_above": 100})
    )
    try:
        await pod.wait_until_listening()
        room = Room(pod, JUMBO)
        targets = crowd[:6]
        plan = await room.say(ALICE, f"/kick {mentions(targets)}")
        assert "/confirm 1" in plan.text  # a jumbo room: always shown first
        await room.say(ALICE, "/confirm 1")
        assert "6 done" in (await pod.next_message(JUMBO)).text
    finally:
        await app.stop()
    times = pod.call_times("POST", r"/membership/remove")
    assert len(times) == 6
    assert_paced(times)


async def test_undo_in_a_jumbo_room_keeps_the_pace(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    crowd = add_crowd(pod, JUMBO, 1010, name="Jumbo")  # still jumbo after the kick
    app = await start_bot(
        settings_for(bulk={"jumbo_interval_seconds": INTERVAL, "confirm_above": 100})
    )
    try:
        await pod.wait_until_listening()
        room = Room(pod, JUMBO)
        assert "/confirm 1" in (await room.say(ALICE, f"/kick {mentions(crowd[:4])}")).text
        await room.say(ALICE, "/confirm 1")
        assert "4 done" in (await pod.next_message(JUMBO)).text
        assert "undoing case 1: 4 done" in (await room.say(ALICE, "/undo")).text
    finally:
        await app.stop()
    times = pod.call_times("POST", r"/membership/(remove|add)")
    assert len(times) == 8
    assert_paced(times)


async def test_the_plan_says_how_long_a_jumbo_job_takes(pod: SymphonyPod, bot: App) -> None:
    crowd = add_crowd(pod, JUMBO, 1001, name="Jumbo")
    room = Room(pod, JUMBO)
    plan = await room.say(ALICE, f"/kick {mentions(crowd[:7])} @bob")
    assert "plan: 7 would be done, 1 refused." in plan.text
    assert (
        "At this room's pace (one change every 3 s: it has 1,004 members) it will take about 18 s."
        in plan.text
    )
    assert pod.calls("POST", r"/membership/remove") == []


async def test_the_plan_counts_the_jitter_margin(pod: SymphonyPod, bot: App) -> None:
    # 100 gaps of 3 s and 1 %: 303 s, not 300 s
    crowd = add_crowd(pod, JUMBO, 1001, name="Jumbo")
    plan = await Room(pod, JUMBO).say(ALICE, f"/kick {mentions(crowd[:101])}")
    assert "it will take about 5 min 3 s." in plan.text
    assert pod.calls("POST", r"/membership/remove") == []


def test_paces_by_platform_and_room_size() -> None:
    from bot.pacing import PaceRule

    pacing = RoomPacing(
        1000,
        3.0,
        rules=[
            PaceRule(None, 10_000, 5.0),
            PaceRule("slack", 500, 1.2),
            PaceRule("symphony", 1000, 4.0),
        ],
    )
    assert pacing.interval_for(1000, "symphony") == 0.0
    assert pacing.interval_for(1001, "symphony") == 4.0  # its own rule over the general one
    assert pacing.interval_for(1001, "matrix") == 3.0
    assert pacing.interval_for(501, "slack") == 1.2
    assert pacing.interval_for(1001, "slack") == 3.0  # the larger size's rule wins
    assert pacing.interval_for(20_000, "symphony") == 5.0
    assert pacing.interval_for(20_000, None) == 5.0


async def test_a_platform_pace_rule_reaches_the_plan(
    pod: SymphonyPod, settings_for: ConfigMaker
) -> None:
    crowd = add_crowd(pod, JUMBO, 12, name="Small but paced")
    rule = {"platform": "symphony", "above_members": 10, "interval_seconds": 0.5}
    async with running(pod, settings_for(bulk={"paces": [rule]})):
        plan = await Room(pod, JUMBO).say(ALICE, f"/kick {mentions(crowd[:3])}")
    assert "Changes in a room this size are paced and always shown first" in plan.text
    assert "At this room's pace (one change every 0.5 s: it has 15 members)" in plan.text
